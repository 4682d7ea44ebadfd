import { ExpressionSyntaxError } from './errors.ts';
import { tokenize, type PathSegment, type Token } from './lexer.ts';

export type Scalar = string | number | boolean;
export type Constant = Scalar | null | readonly (Scalar | null)[];

/** Aliases (`=`, `>-`, `<-`) are already resolved to their canonical operator. */
export type Operator = '==' | '!=' | '>' | '>=' | '<' | '<=' | 'CONTAINS' | 'HAS' | 'IN' | 'NOT IN';

export type Operand =
  | { readonly kind: 'constant'; readonly value: Constant; readonly position: number }
  | { readonly kind: 'path'; readonly segments: readonly PathSegment[]; readonly position: number };

export type Node =
  // An empty expression is legal and matches nothing (see docs/decisions.md).
  | { readonly kind: 'empty' }
  | { readonly kind: 'and' | 'or'; readonly children: readonly Node[] }
  | {
      readonly kind: 'compare';
      readonly op: Operator;
      readonly left: Operand;
      readonly right: Operand;
      readonly position: number;
    };

// Guards the recursive descent against stack overflow on hostile input; real configurations nest a few levels.
const MAX_DEPTH = 100;

export function parse(source: string): Node {
  return new Parser(source, tokenize(source)).parseAll();
}

class Parser {
  private readonly source: string;
  private readonly tokens: readonly Token[];
  private index = 0;
  private depth = 0;

  constructor(source: string, tokens: readonly Token[]) {
    this.source = source;
    this.tokens = tokens;
  }

  parseAll(): Node {
    if (this.peek().kind === 'eof') return { kind: 'empty' };
    const node = this.parseOr();
    if (this.peek().kind !== 'eof') throw this.unexpected('AND, OR or end of expression');
    return node;
  }

  private parseOr(): Node {
    return this.parseChain('OR', () => this.parseAnd());
  }

  // AND binds tighter than OR (not documented by Twilio; the conventional SQL reading).
  private parseAnd(): Node {
    return this.parseChain('AND', () => this.parsePrimary());
  }

  // N-ary rather than binary nodes keep long AND/OR chains flat, so neither compile nor evaluate recurse deeply.
  private parseChain(keyword: 'AND' | 'OR', next: () => Node): Node {
    const first = next();
    if (!this.isKeyword(keyword)) return first;
    const children = [first];
    while (this.isKeyword(keyword)) {
      this.index++;
      children.push(next());
    }
    return { kind: keyword === 'AND' ? 'and' : 'or', children };
  }

  private parsePrimary(): Node {
    if (this.peek().kind !== '(') return this.parseComparison();
    if (++this.depth > MAX_DEPTH) {
      throw this.unexpected(`a comparison (parentheses may nest at most ${MAX_DEPTH} deep)`);
    }
    this.index++;
    const inner = this.parseOr();
    if (this.peek().kind !== ')') throw this.unexpected("')', AND or OR");
    this.index++;
    this.depth--;
    return inner;
  }

  private parseComparison(): Node {
    const left = this.parseOperand("a value or '('");
    const op = this.parseOperator();
    const right = this.parseOperand('a value');
    return { kind: 'compare', op, left, right, position: left.position };
  }

  private parseOperator(): Operator {
    const token = this.peek();
    if (token.kind === 'op') {
      this.index++;
      if (token.op === '>-') return 'HAS';
      if (token.op === '<-') return 'IN';
      return token.op;
    }
    if (token.kind === 'keyword') {
      switch (token.keyword) {
        case 'HAS':
        case 'IN':
        case 'CONTAINS':
          this.index++;
          return token.keyword;
        case 'NOT':
          this.index++;
          if (!this.isKeyword('IN')) throw this.unexpected("IN after NOT (NOT is only valid as 'NOT IN')");
          this.index++;
          return 'NOT IN';
      }
    }
    throw this.unexpected('an operator');
  }

  private parseOperand(expected: string): Operand {
    const token = this.peek();
    switch (token.kind) {
      case 'path':
        this.index++;
        return { kind: 'path', segments: token.segments, position: token.start };
      case 'string':
      case 'number':
      case 'constant':
        this.index++;
        return { kind: 'constant', value: token.value, position: token.start };
      case '[':
        return { kind: 'constant', value: this.parseArray(), position: token.start };
    }
    throw this.unexpected(expected);
  }

  // Only constants are allowed inside brackets, as in Twilio's grammar; nested arrays are rejected.
  private parseArray(): (Scalar | null)[] {
    this.index++;
    const items: (Scalar | null)[] = [];
    if (this.peek().kind === ']') {
      this.index++;
      return items;
    }
    for (;;) {
      const token = this.peek();
      if (token.kind !== 'string' && token.kind !== 'number' && token.kind !== 'constant') {
        throw this.unexpected(items.length === 0 ? "a constant or ']'" : 'a constant');
      }
      items.push(token.value);
      this.index++;
      const after = this.peek();
      if (after.kind === ']') {
        this.index++;
        return items;
      }
      if (after.kind !== ',') throw this.unexpected("',' or ']'");
      this.index++;
    }
  }

  private peek(): Token {
    return this.tokens[this.index];
  }

  private isKeyword(keyword: string): boolean {
    const token = this.peek();
    return token.kind === 'keyword' && token.keyword === keyword;
  }

  private unexpected(expected: string): ExpressionSyntaxError {
    const token = this.peek();
    const raw = this.source.slice(token.start, token.end);
    const what =
      token.kind === 'eof'
        ? 'end of expression'
        : token.kind === 'invalid'
          ? `${raw.length > 1 ? 'token' : 'character'} '${raw}'`
          : token.kind === 'string'
            ? `string ${raw}`
            : `token '${raw}'`;
    return new ExpressionSyntaxError(
      `Unexpected ${what} at position ${token.start}: expected ${expected}${this.hint(token, raw)}`,
      token.start,
    );
  }

  // Targeted advice for mistakes people carry over from other languages or from Twilio's key-naming rules.
  private hint(token: Token, raw: string): string {
    if (raw === '&&') return " ('&&' is not supported, use AND)";
    if (raw === '||') return " ('||' is not supported, use OR)";
    if (raw === '!') return " (use != or NOT IN; there is no unary '!')";
    if (token.kind === 'keyword' && token.keyword === 'NOT' && this.isOperandPosition()) {
      return ' (there is no unary NOT; use != or NOT IN)';
    }
    const previous = this.tokens[this.index - 1];
    if (raw === '-' && previous?.kind === 'path' && previous.end === token.start) {
      return " (attribute names cannot contain '-')";
    }
    return '';
  }

  private isOperandPosition(): boolean {
    const previous = this.tokens[this.index - 1];
    return (
      previous === undefined ||
      previous.kind === '(' ||
      (previous.kind === 'keyword' && (previous.keyword === 'AND' || previous.keyword === 'OR')) ||
      previous.kind === 'op'
    );
  }
}
