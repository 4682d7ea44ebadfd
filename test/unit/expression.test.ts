import { test, describe } from 'node:test';
import assert from 'node:assert/strict';

import {
  ExpressionCache,
  ExpressionSyntaxError,
  evaluate,
  matches,
  parseExpression,
  referencedRoots,
  type Expression,
} from '../../src/core/expression/index.ts';

type Row = readonly [source: string, expected: boolean];

/** One test per row so a failure names the exact expression. */
function table(context: Record<string, unknown>, rows: readonly Row[]): void {
  for (const [source, expected] of rows) {
    test(`${source}  →  ${expected}`, () => {
      assert.equal(evaluate(parseExpression(source), context), expected);
    });
  }
}

// A worker-attributes document covering every JSON type the evaluator meets.
const W = {
  name: 'Alice Smith',
  team: 'support',
  level: 5,
  rating: 4.5,
  negative: -3,
  zero: 0,
  active: true,
  away: false,
  nothing: null,
  empty: '',
  skills: ['support', 'sales', 'sms'],
  languages: ['en', 'es'],
  levels: [1, 2, 3],
  flags: [true],
  emptyList: [],
  mixed: ['a', 1, null, { k: 'v' }],
  level_str: '5',
  hour: '08',
  word: 'abc',
  profile: { tier: 'gold', region: { code: 'EU' }, tags: ['vip'], in: 1, and: 2 },
  matrix: [
    [1, 2],
    [3, 4],
  ],
  people: [{ name: 'Bob' }],
  $cost: 7,
  _private: 'p',
  camelCase: 'c',
  x9: 9,
};

describe('literals', () => {
  table({ n: 800, one: 1, neg: -1, half: 1.5, s: "it's", d: 'say "hi"', b: 'a\\b', e: 'é', nl: 'a\nb' }, [
    ['one == 1', true],
    ['one == 1.0', true],
    ['one == 1.00', true],
    ['one == 2', false],
    ['neg == -1', true],
    ['neg == 1', false],
    ['half == 1.5', true],
    ['half == 1.50', true],
    ['n == 0800', true], // leading zeros are decimal (time-of-day docs write 0800)
    ['n == 800', true],
    ['s == "it\'s"', true],
    ["s == 'it\\'s'", true],
    ['d == \'say "hi"\'', true],
    ['d == "say \\"hi\\""', true],
    ["b == 'a\\\\b'", true],
    ["e == '\\u00e9'", true],
    ["e == '\\u00E9'", true],
    ["nl == 'a\\nb'", true],
    ["'a/b' == 'a\\/b'", true],
    ["'\\t' == '\t'", true],
    ["'' == ''", true],
    ['"x" == \'x\'', true],
    ['true == true', true],
    ['false == false', true],
    ['true == false', false],
    ['[1, 2] HAS 2', true],
    ["[] HAS 'x'", false],
    ["['a','b'] HAS 'b'", true],
    ['[ "en" , "es" ] HAS "es"', true],
    ['[true, null, -1.5] HAS -1.5', true],
  ]);
});

describe('== and = (equality)', () => {
  table(W, [
    ["team == 'support'", true],
    ["team = 'support'", true],
    ["team == 'sales'", false],
    ["'support' == team", true],
    ["team == 'Support'", false], // string values are case-sensitive
    ['level == 5', true],
    ['level = 5', true],
    ['level == 5.0', true],
    ['level == 6', false],
    ['rating == 4.5', true],
    ['negative == -3', true],
    ['zero == 0', true],
    ['active == true', true],
    ['active == false', false],
    ['away == false', true],
    ["empty == ''", true],
    ["skills == 'support'", false], // scalar operator on an array
    ["profile == 'gold'", false],
    ["missing == 'x'", false],
    ["nothing == 'x'", false],
    ['team == team', true],
    ['level == rating', false],
    ['missing == other_missing', false], // absent values are never equal to each other
    ['nothing == missing', false],
  ]);
});

describe('!=', () => {
  table(W, [
    ["team != 'sales'", true],
    ["team != 'support'", false],
    ['level != 6', true],
    ['level != 5', false],
    ['active != false', true],
    ['active != true', false],
    ["missing != 'x'", false], // absent → false, even for !=
    ["nothing != 'x'", false],
    ["skills != 'x'", false], // scalar operator on an array
    ["profile != 'x'", false],
    ['team != 5', false], // type mismatch → false
    ['active != 1', false],
    ["level != '6'", true], // numeric string coerces against a number
    ["level != '5'", false],
    ['0 != 1', true],
    ['"apple" != "orange"', true],
  ]);
});

describe('ordering (> >= < <=)', () => {
  table(W, [
    ['level > 4', true],
    ['level > 5', false],
    ['level >= 5', true],
    ['level >= 5.1', false],
    ['level < 6', true],
    ['level < 5', false],
    ['level <= 5', true],
    ['level <= 4.99', false],
    ['rating > 4.4', true],
    ['negative < 0', true],
    ['negative > -4', true],
    ['negative >= -3', true],
    ['0 < level', true],
    ['10 > level', true],
    ["word > 'abb'", true], // strings order by UTF-16 code units
    ["word < 'abd'", true],
    ["word >= 'abc'", true],
    ["word <= 'ab'", false],
    ["'B' < 'a'", true],
    ["'10' > '9'", false], // two strings never coerce
    ['level_str > 3', true], // numeric string vs number coerces
    ['level_str >= 5', true],
    ['level_str < 5', false],
    ['hour > 7', true],
    ['hour < 9', true],
    ["'5' > 3", true],
    ["3 < '5'", true],
    ["word > 3", false], // non-numeric string vs number → false
    ['active > 0', false], // booleans have no order
    ['active > false', false],
    ['skills > 1', false],
    ['levels > 0', false],
    ['profile > 0', false],
    ['missing > 0', false],
    ['missing < 0', false],
    ['nothing >= 0', false],
    ['level > missing', false],
  ]);
});

describe('numeric-string coercion boundaries', () => {
  table({ s: '5', lead: '007', frac: '1.50', neg: '-2', space: ' 5', exp: '5e0', hex: '0x5', dot: '5.', plus: '+5' }, [
    ['s == 5', true],
    ['lead == 7', true],
    ['frac == 1.5', true],
    ['neg == -2', true],
    ['neg < 0', true],
    ['space == 5', false],
    ['exp == 5', false],
    ['hex == 5', false],
    ['dot == 5', false],
    ['plus == 5', false],
    ["s == '5'", true],
    ["lead == '7'", false], // string vs string compares text
  ]);
});

describe('CONTAINS', () => {
  table(W, [
    ["name CONTAINS 'Smith'", true],
    ["name CONTAINS 'Alice Smith'", true],
    ["name CONTAINS 'smith'", false], // case-sensitive
    ["name CONTAINS 'Jones'", false],
    ["name CONTAINS ''", true],
    ["'Alice Smith' CONTAINS 'ice'", true],
    ["skills CONTAINS 'support'", false], // CONTAINS is scalar: arrays give false
    ["skills CONTAINS 'sup'", false],
    ['level CONTAINS 5', false],
    ["level_str CONTAINS '5'", true],
    ['name CONTAINS 5', false],
    ["missing CONTAINS 'x'", false],
    ["nothing CONTAINS 'x'", false],
    ["name CONTAINS team", false],
    ["name CONTAINS missing", false],
  ]);
});

describe('HAS and >-', () => {
  table(W, [
    ["skills HAS 'support'", true],
    ["skills HAS 'sms'", true],
    ["skills HAS 'voice'", false],
    ["skills HAS 'Support'", false],
    ["skills >- 'sales'", true],
    ["skills >-'sales'", true],
    ["skills >- 'voice'", false],
    ['levels HAS 2', true],
    ['levels HAS 4', false],
    ["levels HAS '2'", true], // same numeric coercion as ==
    ['flags HAS true', true],
    ['flags HAS false', false],
    ["mixed HAS 'a'", true],
    ['mixed HAS 1', true],
    ["emptyList HAS 'x'", false],
    ["team HAS 'support'", false], // array operator on a scalar
    ["name HAS 'Alice'", false],
    ["missing HAS 'x'", false],
    ["nothing HAS 'x'", false],
    ["skills HAS ['support']", false], // right side must be a scalar
    ['skills HAS team', true],
    ['skills HAS missing', false],
    ["profile.tags HAS 'vip'", true],
  ]);
});

describe('IN and <-', () => {
  table(W, [
    ["team IN ['support', 'sales']", true],
    ["team IN ['sales']", false],
    ["team in ['support']", true],
    ["team <- ['support']", true],
    ["team <-['support']", true],
    ["team <- ['x']", false],
    ['level IN [1, 5, 9]', true],
    ['level IN [1, 2]', false],
    ["level IN ['5']", true],
    ['active IN [true]', true],
    ["'sms' IN skills", true], // array attribute on the right
    ["'voice' IN skills", false],
    ['team IN skills', true],
    ["team IN []", false],
    ["skills IN ['support']", false], // array on the left
    ["team IN 'support'", false], // scalar on the right
    ["missing IN ['x']", false],
    ["nothing IN ['x']", false],
    ["'x' IN missing", false],
    ['level IN levels', false],
    ['zero IN [0]', true],
  ]);
});

describe('NOT IN', () => {
  table(W, [
    ["team NOT IN ['sales']", true],
    ["team NOT IN ['support', 'sales']", false],
    ["team not in ['sales']", true],
    ["team Not In ['sales']", true],
    ["team NOT\n\tIN ['sales']", true],
    ["team NOT IN []", true],
    ["'voice' NOT IN skills", true],
    ["'sms' NOT IN skills", false],
    ['level NOT IN [1, 2]', true],
    ["level NOT IN ['5']", false],
    ["missing NOT IN ['x']", false], // absent → false, not "trivially not in"
    ["nothing NOT IN ['x']", false],
    ["'x' NOT IN missing", false],
    ["skills NOT IN ['x']", false], // array on the left
    ["team NOT IN 'sales'", false], // scalar on the right
  ]);
});

describe('null and absence', () => {
  table(W, [
    ['nothing == null', true],
    ['missing == null', true],
    ['profile.missing == null', true],
    ['skills[9] == null', true],
    ['team == null', false],
    ['team != null', true],
    ['skills != null', true],
    ['profile != null', true],
    ['empty != null', true],
    ['zero != null', true],
    ['away != null', true],
    ['missing != null', false],
    ['nothing != null', false],
    ['null == missing', true],
    ['null != team', true],
    ['null == null', true],
    ['null != null', false],
    ['team > null', false],
    ['null < 1', false],
    ['skills HAS null', false],
    ["missing IN [null]", false],
    ['null IN [null]', false],
    ["team CONTAINS null", false],
    ['NULL == missing', true],
  ]);
});

describe('paths and indexing', () => {
  table(W, [
    ["profile.tier == 'gold'", true],
    ["profile.region.code == 'EU'", true],
    ["profile.region.code == 'US'", false],
    ["profile.tags[0] == 'vip'", true],
    ["skills[0] == 'support'", true],
    ["skills[2] == 'sms'", true],
    ['skills[3] == null', true],
    ["skills[3] == 'x'", false],
    ["skills[99999999999] == 'x'", false],
    ['matrix[1][0] == 3', true],
    ['matrix[0][1] == 2', true],
    ['matrix[0][2] == null', true],
    ["people[0].name == 'Bob'", true],
    ["people[1].name == 'Bob'", false],
    ['team[0] == null', true], // indexing a string does not pick characters
    ["profile[0] == 'gold'", false],
    ['skills.length == 3', false], // arrays have no named properties here
    ['team.length == 7', false],
    ["profile.tier.x == 'gold'", false],
    ['level.x != null', false],
    ['profile.in == 1', true], // keywords are ordinary keys after a dot
    ['profile.and == 2', true],
    ['$cost == 7', true],
    ["_private == 'p'", true],
    ["camelCase == 'c'", true],
    ['x9 == 9', true],
    ["camelcase == 'c'", false], // keys are case-sensitive
  ]);
});

describe('prototype names never resolve from Object.prototype', () => {
  table(W, [
    ['constructor == null', true],
    ['constructor != null', false],
    ['toString != null', false],
    ['__proto__ != null', false],
    ['hasOwnProperty == null', true],
    ['profile.constructor == null', true],
    ['people[0].__proto__ != null', false],
  ]);
  table({ constructor: 'own', valueOf: 3 }, [
    ["constructor == 'own'", true],
    ['valueOf == 3', true],
  ]);
});

describe('AND / OR / parentheses', () => {
  table(W, [
    ['1 == 1 AND 1 == 1', true],
    ['1 == 1 AND 1 == 0', false],
    ['1 == 0 AND 1 == 1', false],
    ['1 == 0 OR 1 == 1', true],
    ['1 == 0 OR 1 == 0', false],
    // AND binds tighter than OR.
    ['1 == 1 OR 1 == 0 AND 1 == 0', true],
    ['1 == 0 AND 1 == 0 OR 1 == 1', true],
    ['(1 == 1 OR 1 == 0) AND 1 == 0', false],
    ['1 == 0 AND (1 == 0 OR 1 == 1)', false],
    ["team == 'x' OR team == 'support' AND level > 4", true],
    ["team == 'support' OR team == 'x' AND level > 9", true],
    ["(team == 'support' OR team == 'x') AND level > 9", false],
    ['((((level == 5))))', true],
    ['(level == 5) AND ((active == true) OR (away == true))', true],
    ['(level == 4 OR level == 6) OR (level == 5 AND active == false)', false],
    ['level == 1 OR level == 2 OR level == 3 OR level == 4 OR level == 5', true],
    ['level > 1 AND level > 2 AND level > 3 AND level > 4 AND level > 5', false],
    ["(skills HAS 'support') AND NOT_A_KEY == null", true],
    ["missing == 'x' OR team == 'support'", true], // absent only falsifies its own comparison
  ]);
});

describe('keywords are case-insensitive', () => {
  table(W, [
    ['1 == 1 and 1 == 1', true],
    ['1 == 1 And 1 == 0', false],
    ['1 == 0 or 1 == 1', true],
    ['1 == 0 oR 1 == 1', true],
    ["skills has 'sms'", true],
    ["skills Has 'sms'", true],
    ["team In ['support']", true],
    ["team nOt iN ['x']", true],
    ["name contains 'Smith'", true],
    ["name Contains 'Smith'", true],
    ['active == TRUE', true],
    ['away == False', true],
    ['nothing == Null', true],
  ]);
});

describe('whitespace', () => {
  table(W, [
    ["team=='support'", true],
    ['level>=5', true],
    ['level<=5', true],
    ['level>4', true],
    ['level<6', true],
    ['level!=6', true],
    ['level>=-1', true],
    ['level> -1', true],
    ["skills>-'sms'", true],
    ["team<-['support']", true],
    ["\n\tteam == 'support'\r\n  AND\tlevel == 5 \n", true],
    ["(team=='support')AND(level==5)", true],
  ]);
});

describe('match all, match none, empty', () => {
  for (const context of [{}, W, { task: {}, worker: {} }]) {
    test(`1==1 matches ${JSON.stringify(context).slice(0, 30)}`, () => {
      assert.equal(matches('1==1', context), true);
      assert.equal(matches('1 == 1', context), true);
    });
    test(`1==0 and empty never match ${JSON.stringify(context).slice(0, 30)}`, () => {
      assert.equal(matches('1==0', context), false);
      assert.equal(matches('', context), false);
      assert.equal(matches('  \n\t ', context), false);
    });
  }
  test('empty expression parses to an empty AST and references nothing', () => {
    const expr = parseExpression('');
    assert.deepEqual(expr.ast, { kind: 'empty' });
    assert.deepEqual(referencedRoots(expr), new Set());
  });
});

describe('documented examples', () => {
  describe('TaskQueue target_workers against worker attributes', () => {
    table({ skills: ['support', 'billing'], languages: ['english', 'spanish'], tech_support_skill: 7 }, [
      ["(skills HAS 'support') AND (languages HAS 'english')", true],
      ["(skills HAS 'sales') AND (languages HAS 'english')", false],
      ['tech_support_skill > 5', true],
      ['tech_support_skill < 5', false],
      ['languages HAS "english"', true],
      ['"language" == "spanish"', false],
    ]);
  });

  describe('workflow filters against task attributes', () => {
    table(
      {
        customer_value: 'Gold',
        type: 'ticket',
        key: 2,
        object: { param: 'pear', array: ['a', 'b', 'c'], attr: 'bar' },
        string_const: 'foo',
        language: 'fr',
        skill_rating: 5.1,
        condition_a: false,
        condition_b: true,
        preferred_agents: ['WK1'],
      },
      [
        ["customer_value == 'Gold' AND type == 'ticket'", true],
        ["type == 'ticket' AND customer_value IN ['Silver', 'Bronze']", false],
        ['1 == 1', true],
        ['0 != 1', true],
        ['"apple" != "orange"', true],
        ['key > 1', true],
        ['object.param != "apple"', true],
        ['language IN ["en", "es"]', false],
        ['(condition_a == true) OR (condition_b == true)', true],
        ['(language == "en" OR language == "fr") AND skill_rating >= 5.1', true],
        ['string_const == "foo"', true],
        ['object.array HAS "b"', true],
        ['object.array[2] == "c"', true],
        ['object.attr == "bar"', true],
        ['preferred_agents != null', true],
        ['missing_agents != null', false],
      ],
    );
  });

  describe('workflow target expressions against {task, worker}', () => {
    table(
      {
        task: {
          requested_agent: 'alice',
          required_language: 'de',
          preferred_agents: ['a1', 'a2'],
          worker_sid: 'WK1',
          subSection: 'loans',
        },
        worker: {
          agent_id: 'alice',
          spoken_languages: ['en', 'de'],
          id: 'a2',
          sid: 'WK1',
          specializedSubField: 'loans',
          channel: {
            voice: { available_capacity_percentage: 100, assigned_tasks: 0 },
            chat: { assigned_tasks: 1, available_capacity_percentage: 50 },
          },
        },
      },
      [
        ['task.requested_agent==worker.agent_id', true],
        ['task.required_language IN worker.spoken_languages', true],
        ['worker.id IN task.preferred_agents', true],
        ['worker.channel.voice.available_capacity_percentage == 100', true],
        ['worker.channel.voice.assigned_tasks == 0', true],
        ['worker.channel.chat.assigned_tasks <= 1', true],
        ['worker.channel.chat.available_capacity_percentage < 75', true],
        ['worker.channel.sms.assigned_tasks == 0', false],
        ['task.worker_sid = worker.sid', true],
        ['task.subSection = worker.specializedSubField', true],
        ['task.requested_agent == worker.missing', false],
      ],
    );
  });

  describe('skip_if against queue counters', () => {
    table({ workers: { available: 0, unavailable: 3, WAxx: 1, WAyy: 5 } }, [
      ['1==1', true],
      ['workers.available == 0', true],
      ['workers.WAxx < 2', true],
      ['workers.WAyy < 2', false],
      ['workers.WAxx < 2 OR workers.WAyy < 2', true],
    ]);
  });

  describe('time-of-day routing (taskrouter.* with currentHour as an "HH" string)', () => {
    const at = (dayOfWeek: string, currentTime: number, currentHour: string) => ({
      taskrouter: { dayOfWeek, currentTime, currentHour, currentMin: 30 },
    });
    const hours =
      "(taskrouter.dayOfWeek IN ['Mon', 'Tue', 'THU'] AND taskrouter.currentTime > 800 AND taskrouter.currentTime < 1730) " +
      "OR (taskrouter.dayOfWeek IN ['Wed', 'Fri'] AND taskrouter.currentTime > 900 AND taskrouter.currentTime < 1830) " +
      "OR (taskrouter.dayOfWeek = 'Sat' AND taskrouter.currentTime > 1100 AND taskrouter.currentTime < 1530)";
    const rows: [string, Record<string, unknown>, boolean][] = [
      ['taskrouter.currentTime > 0800 AND taskrouter.currentTime < 1830', at('Mon', 930, '09'), true],
      ['taskrouter.currentTime > 0800 AND taskrouter.currentTime < 1830', at('Mon', 1900, '19'), false],
      ['taskrouter.currentHour > 8 AND taskrouter.currentHour < 18', at('Mon', 930, '09'), true],
      ['taskrouter.currentHour > 8 AND taskrouter.currentHour < 18', at('Mon', 730, '07'), false],
      ['taskrouter.currentMin > 10 AND taskrouter.currentMin < 50', at('Mon', 930, '09'), true],
      [hours, at('Mon', 1000, '10'), true],
      [hours, at('Wed', 850, '08'), false],
      [hours, at('Sat', 1200, '12'), true],
      [hours, at('Sun', 1200, '12'), false],
      // The doc's own 'THU' does not match 'Thu': string values are case-sensitive.
      [hours, at('Thu', 1000, '10'), false],
    ];
    for (const [source, context, expected] of rows) {
      test(`${source.slice(0, 60)}… @ ${JSON.stringify(context.taskrouter)} → ${expected}`, () => {
        assert.equal(matches(source, context), expected);
      });
    }
  });
});

describe('syntax errors report what was expected and where', () => {
  // [source, position, message fragment, text found at the position ('' = end of input)]
  const rows: [string, number, string, string][] = [
    ['skills HAS', 10, 'Unexpected end of expression at position 10: expected a value', ''],
    ["skills HAS AND 'x'", 11, "Unexpected token 'AND' at position 11: expected a value", 'AND'],
    ["HAS 'x'", 0, "expected a value or '('", 'HAS'],
    ['and == 1', 0, "Unexpected token 'and' at position 0: expected a value or '('", 'and'],
    ['a == 1 AND', 10, "expected a value or '('", ''],
    ['a == 1 OR OR b == 2', 10, "Unexpected token 'OR' at position 10", 'OR'],
    ['(a == 1', 7, "expected ')', AND or OR", ''],
    ['a == 1)', 6, 'expected AND, OR or end of expression', ')'],
    ['()', 1, "Unexpected token ')' at position 1: expected a value or '('", ')'],
    ['a == 1 b == 2', 7, "Unexpected token 'b' at position 7: expected AND, OR or end of expression", 'b'],
    ['a', 1, 'expected an operator', ''],
    ['a b', 2, "Unexpected token 'b' at position 2: expected an operator", 'b'],
    ['a === 1', 4, "Unexpected token '=' at position 4: expected a value", '='],
    ['a = = 1', 4, 'expected a value', '='],
    ['a ! 1', 2, "Unexpected character '!' at position 2: expected an operator", '!'],
    [
      'a == 1 && b == 2',
      7,
      "Unexpected token '&&' at position 7: expected AND, OR or end of expression ('&&' is not supported, use AND)",
      '&&',
    ],
    ['a == 1 || b == 2', 7, "'||' is not supported, use OR", '||'],
    ['a & b', 2, "Unexpected character '&' at position 2", '&'],
    ['NOT a == 1', 0, 'there is no unary NOT', 'NOT'],
    ['a == 1 AND NOT b == 2', 11, 'there is no unary NOT', 'NOT'],
    ['a NOT b', 6, 'expected IN after NOT', 'b'],
    ["a NOT CONTAINS 'x'", 6, 'expected IN after NOT', 'CONTAINS'],
    ['a NOT', 5, 'Unexpected end of expression at position 5: expected IN after NOT', ''],
    [
      'skill-level > 3',
      5,
      "Unexpected character '-' at position 5: expected an operator (attribute names cannot contain '-')",
      '-',
    ],
    ["a == 'abc", 5, "Unterminated string at position 5: expected a closing '", "'"],
    ['a == "abc\'', 5, 'expected a closing "', '"'],
    ["a == 'x\\q'", 7, "Invalid escape '\\q' at position 7", '\\'],
    ["a == 'x\\u12'", 7, "Invalid escape '\\u' at position 7", '\\'],
    ["a == 'x\\", 7, 'Invalid escape', '\\'],
    ['a. == 1', 2, "expected an attribute name after '.'", ' '],
    ['a..b == 1', 2, "Unexpected character '.' at position 2: expected an attribute name after '.'", '.'],
    ['a.1 == 1', 2, "expected an attribute name after '.'", '1'],
    ['a[ == 1', 2, 'expected an array index (a non-negative integer)', ' '],
    ['a[x] == 1', 2, "Unexpected character 'x' at position 2: expected an array index", 'x'],
    ['a[-1] == 1', 2, 'expected an array index', '-'],
    ['a[1 == 1', 3, "expected ']' to close the array index", ' '],
    ['a [0] == 1', 2, "Unexpected token '[' at position 2: expected an operator", '['],
    ['task . x == 1', 5, "Unexpected character '.' at position 5: expected an operator", '.'],
    ['a == 1.', 7, "Unexpected end of expression at position 7: expected a digit after '.'", ''],
    ['a == .5', 5, "Unexpected character '.' at position 5: expected a value", '.'],
    ['a == 1e5', 6, "Unexpected token 'e5' at position 6", 'e5'],
    ['a >-1', 2, "Ambiguous '>-1' at position 2: expected a space", '>-'],
    ['a <-1', 2, "'< -1' to compare with a negative number or '<- 1' for IN", '<-'],
    ['a IN [1, 2', 10, "Unexpected end of expression at position 10: expected ',' or ']'", ''],
    ['a IN [1,]', 8, "Unexpected token ']' at position 8: expected a constant", ']'],
    ['a IN [b]', 6, "expected a constant or ']'", 'b'],
    ['a IN [[1]]', 6, "expected a constant or ']'", '['],
    ['a IN [1 2]', 8, "expected ',' or ']'", '2'],
    ["a IN ['x'", 9, "expected ',' or ']'", ''],
    ['1 == 1 == 1', 7, 'expected AND, OR or end of expression', '=='],
    ['a == @', 5, "Unexpected character '@' at position 5: expected a value", '@'],
    ['a == \u2018x\u2019', 5, "Unexpected character '\u2018'", '\u2018'],
    ["a == 'x' 'y'", 9, "Unexpected string 'y' at position 9", "'y'"],
    ['a == true.x', 9, "Unexpected character '.' at position 9", '.'],
    ['a == 1 AND (b == 2', 18, "expected ')', AND or OR", ''],
    [`${'('.repeat(101)}a == 1${')'.repeat(101)}`, 100, 'parentheses may nest at most 100 deep', '('],
  ];
  for (const [source, position, fragment, found] of rows) {
    test(`${JSON.stringify(source).slice(0, 50)} fails at ${position}`, () => {
      assert.equal(source.slice(position, position + found.length), found, 'table row points at the wrong text');
      if (found === '') assert.equal(position, source.length);
      assert.throws(
        () => parseExpression(source),
        (err: unknown) => {
          assert.ok(err instanceof ExpressionSyntaxError, `expected ExpressionSyntaxError, got ${String(err)}`);
          assert.ok(err instanceof Error);
          assert.equal(err.name, 'ExpressionSyntaxError');
          assert.equal(err.position, position, err.message);
          assert.ok(err.message.includes(`at position ${position}`), err.message);
          assert.ok(err.message.includes(fragment), `"${err.message}" lacks "${fragment}"`);
          return true;
        },
      );
    });
  }

  test('100 levels of parentheses are still accepted', () => {
    assert.equal(matches(`${'('.repeat(100)}a == 1${')'.repeat(100)}`, { a: 1 }), true);
  });

  test('matches() propagates syntax errors', () => {
    assert.throws(() => matches('a ==', {}), ExpressionSyntaxError);
    assert.throws(() => matches('a ==', {}), ExpressionSyntaxError); // and does not cache the failure as a success
  });

  test('a very long flat chain does not overflow the stack', () => {
    const source = Array.from({ length: 20000 }, (_, i) => `k == ${i}`).join(' OR ');
    assert.equal(matches(source, { k: 19999 }), true);
    assert.equal(matches(source, { k: -1 }), false);
  });
});

describe('AST', () => {
  test('aliases are normalised to their canonical operator', () => {
    const op = (source: string) => {
      const { ast } = parseExpression(source);
      assert.equal(ast.kind, 'compare');
      return ast.kind === 'compare' ? ast.op : undefined;
    };
    assert.equal(op('a = 1'), '==');
    assert.equal(op('a == 1'), '==');
    assert.equal(op("a >- 'x'"), 'HAS');
    assert.equal(op("a has 'x'"), 'HAS');
    assert.equal(op("a <- ['x']"), 'IN');
    assert.equal(op("a not in ['x']"), 'NOT IN');
    assert.equal(op("a contains 'x'"), 'CONTAINS');
  });

  test('shape of a comparison, with positions', () => {
    assert.deepEqual(parseExpression("task.langs[0] NOT IN ['en', -1.5, true, null]").ast, {
      kind: 'compare',
      op: 'NOT IN',
      left: { kind: 'path', segments: ['task', 'langs', 0], position: 0 },
      right: { kind: 'constant', value: ['en', -1.5, true, null], position: 21 },
      position: 0,
    });
  });

  test('AND/OR chains are flat and AND nests under OR', () => {
    const { ast } = parseExpression('a == 1 OR b == 2 AND c == 3 OR d == 4');
    assert.equal(ast.kind, 'or');
    assert.ok(ast.kind === 'or');
    assert.deepEqual(
      ast.children.map((c) => c.kind),
      ['compare', 'and', 'compare'],
    );
  });

  test('expressions are frozen and serialise to source + AST only', () => {
    const expr = parseExpression("skills HAS 'x'");
    assert.ok(Object.isFrozen(expr));
    assert.deepEqual(Object.keys(JSON.parse(JSON.stringify(expr))).sort(), ['ast', 'source']);
    assert.equal(expr.source, "skills HAS 'x'");
  });

  test('an Expression rebuilt from stored JSON evaluates the same way', () => {
    const original = parseExpression("skills HAS 'x' AND level >= 2");
    const rebuilt: Expression = JSON.parse(JSON.stringify(original));
    for (const context of [{ skills: ['x'], level: 2 }, { skills: ['x'], level: 1 }, {}]) {
      assert.equal(evaluate(rebuilt, context), evaluate(original, context));
      assert.equal(evaluate(rebuilt, context), evaluate(rebuilt, context));
    }
  });
});

describe('referencedRoots', () => {
  const rows: [string, string[]][] = [
    ['1 == 1', []],
    ['', []],
    ["skills HAS 'sms'", ['skills']],
    ["skills HAS 'sms' AND languages HAS 'en'", ['skills', 'languages']],
    ['task.a == worker.b', ['task', 'worker']],
    ["worker.channel.voice.assigned_tasks == 0 OR (worker.x IN ['a'])", ['worker']],
    ["'x' IN task.list[0]", ['task']],
    ['taskrouter.currentTime > 800 AND (task.p == 1 OR workers.available == 0)', ['taskrouter', 'task', 'workers']],
    ['a.b == null', ['a']],
  ];
  for (const [source, roots] of rows) {
    test(`${source || '(empty)'} → {${roots.join(', ')}}`, () => {
      assert.deepEqual(referencedRoots(parseExpression(source)), new Set(roots));
    });
  }

  test('returns a fresh set each call', () => {
    const expr = parseExpression('task.a == 1');
    referencedRoots(expr).add('mutated');
    assert.deepEqual(referencedRoots(expr), new Set(['task']));
  });
});

describe('evaluate never throws', () => {
  const boom = (): never => {
    throw new Error('boom');
  };
  const expr = parseExpression("a.b == 1 OR c HAS 'x' OR d[0] > 2 OR e == null");
  const hostile: [string, unknown][] = [
    ['throwing getter', Object.defineProperty({}, 'a', { get: boom, enumerable: true })],
    ['throwing proxy', new Proxy({}, { get: boom, has: boom, getOwnPropertyDescriptor: boom })],
    ['null-prototype object', Object.assign(Object.create(null), { c: ['x'] })],
    ['arrays in odd places', { a: [1], c: 'x', d: 'str' }],
    ['null context', null],
    ['undefined context', undefined],
    ['number context', 42],
  ];
  for (const [name, context] of hostile) {
    test(name, () => {
      assert.doesNotThrow(() => evaluate(expr, context as Record<string, unknown>));
    });
  }
  test('null-prototype contexts still resolve own keys', () => {
    assert.equal(evaluate(expr, Object.assign(Object.create(null), { c: ['x'] })), true);
    assert.equal(matches('constructor == 1', Object.assign(Object.create(null), { constructor: 1 })), true);
  });
  test('a context containing NaN and Infinity', () => {
    assert.equal(matches('n > 0 OR n < 0 OR n == n', { n: NaN }), false);
    assert.equal(matches('i > 1000000', { i: Infinity }), true);
  });
});

describe('matches() cache', () => {
  test('repeated calls agree with parse + evaluate', () => {
    const source = "team == 'support' AND level > 1";
    for (let i = 0; i < 3; i++) {
      assert.equal(matches(source, W), evaluate(parseExpression(source), W));
      assert.equal(matches(source, {}), false);
    }
  });
  test('stays correct beyond the cache bound (evicted entries re-parse)', () => {
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 2500; i++) {
        assert.equal(matches(`k == ${i}`, { k: i }), true);
        assert.equal(matches(`k == ${i}`, { k: i + 1 }), false);
      }
    }
  });
  test('the same source with different contexts is not confused', () => {
    const source = "skills HAS 'sms'";
    assert.equal(matches(source, { skills: ['sms'] }), true);
    assert.equal(matches(source, { skills: ['voice'] }), false);
  });
});

describe('ExpressionCache', () => {
  test('parses a text once, keeps the most recently used, and caches nothing for bad syntax', () => {
    const cache = new ExpressionCache(2);
    const a = cache.get('skills HAS "a"');
    assert.equal(cache.get('skills HAS "a"'), a, 'the same text gives the same parsed expression');
    assert.equal(evaluate(a, { skills: ['a'] }), true);
    const b = cache.get('skills HAS "b"');
    cache.get('skills HAS "a"'); // a is now the most recently used
    cache.get('skills HAS "c"'); // evicts b, the least recently used
    assert.equal(cache.get('skills HAS "a"'), a);
    assert.notEqual(cache.get('skills HAS "b"'), b, 'b was evicted and parsed again');
    assert.throws(() => cache.get('skills HAS'), ExpressionSyntaxError);
    assert.throws(() => cache.get('skills HAS'), ExpressionSyntaxError);
  });
});
