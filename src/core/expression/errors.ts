/**
 * Raised for any expression that cannot be parsed. `position` is a 0-based
 * offset into the source so API layers can point users at the exact spot;
 * the message always names what was expected there.
 */
export class ExpressionSyntaxError extends Error {
  readonly position: number;

  constructor(message: string, position: number) {
    super(message);
    this.name = 'ExpressionSyntaxError';
    this.position = position;
  }
}
