package simulator

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// WQL as WinRM's WMI plugin accepts it in an Enumerate filter (dialect
// http://schemas.microsoft.com/wbem/wsman/1/WQL): the data-query subset
//
//	SELECT * | prop[, prop...] FROM Class [WHERE expr]
//
// where expr combines comparisons (=, <>, !=, <, <=, >, >=) between a
// property and a constant (string, number, TRUE, FALSE), prop [NOT] LIKE
// 'pattern', prop IS [NOT] NULL, with AND, OR, NOT and parentheses. Strings
// compare case-insensitively, as WMI compares them; datetimes compare as
// their DMTF strings. ISA, ASSOCIATORS OF, REFERENCES OF and property-to-
// property comparisons are refused, as is anything else; the simulator then
// answers with the CannotProcessFilter fault.

// Bounds on a filter: WMI has its own; these keep the parser's and the
// evaluator's cost proportional to a short query.
const (
	maxWQLLength = 16 << 10 // bytes of query text
	maxWQLDepth  = 32       // nesting of parentheses and NOT
)

// WQLError reports a filter the simulator refuses.
type WQLError struct {
	Pos    int // byte offset in the query
	Reason string
}

func (e *WQLError) Error() string { return fmt.Sprintf("wql: at %d: %s", e.Pos, e.Reason) }

// wqlQuery is a parsed query.
type wqlQuery struct {
	class  string
	props  []string // nil for SELECT *
	where  wqlExpr  // nil without WHERE
	fields []string // every property the query names (select list and WHERE)
}

// wqlExpr is a node of the WHERE tree.
type wqlExpr interface {
	eval(get propGetter) tri
}

// propGetter returns a property's value and whether it is not null.
type propGetter func(name string) (string, bool)

// tri is SQL's three-valued logic: a comparison with NULL is unknown.
type tri int8

const (
	triFalse tri = iota
	triUnknown
	triTrue
)

type wqlAnd struct{ l, r wqlExpr }
type wqlOr struct{ l, r wqlExpr }
type wqlNot struct{ x wqlExpr }

func (e wqlAnd) eval(g propGetter) tri {
	a := e.l.eval(g)
	if a == triFalse {
		return triFalse
	}
	return min(a, e.r.eval(g))
}

func (e wqlOr) eval(g propGetter) tri {
	a := e.l.eval(g)
	if a == triTrue {
		return triTrue
	}
	return max(a, e.r.eval(g))
}

func (e wqlNot) eval(g propGetter) tri { return triTrue - e.x.eval(g) }

// constKind is the type of a literal, which decides how a property compares.
type constKind int8

const (
	kString constKind = iota
	kNumber
	kBool
)

type wqlCmp struct {
	prop string
	op   string // = <> < <= > >=
	kind constKind
	str  string
	num  float64
	b    bool
}

func (c wqlCmp) eval(g propGetter) tri {
	v, ok := g(c.prop)
	if !ok {
		return triUnknown
	}
	var d int
	switch c.kind {
	case kString:
		// Datetimes compare as instants, whatever UTC offset each names.
		if a, ok := parseDMTF(v); ok {
			if b, ok := parseDMTF(c.str); ok {
				d = a.Compare(b)
				break
			}
		}
		d = compareFold(v, c.str)
	case kNumber:
		n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			return triUnknown
		}
		switch {
		case n < c.num:
			d = -1
		case n > c.num:
			d = 1
		}
	case kBool:
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return triUnknown
		}
		if c.op != "=" && c.op != "<>" {
			return triUnknown
		}
		if b != c.b {
			d = 1
		}
	}
	var r bool
	switch c.op {
	case "=":
		r = d == 0
	case "<>":
		r = d != 0
	case "<":
		r = d < 0
	case "<=":
		r = d <= 0
	case ">":
		r = d > 0
	case ">=":
		r = d >= 0
	}
	if r {
		return triTrue
	}
	return triFalse
}

// parseDMTF reads a DMTF datetime, yyyymmddhhmmss.mmmmmmsUUU, where s is
// + or - and UUU the offset from UTC in minutes.
func parseDMTF(v string) (time.Time, bool) {
	if len(v) != 25 || v[14] != '.' || (v[21] != '+' && v[21] != '-') {
		return time.Time{}, false
	}
	t, err := time.Parse("20060102150405.000000", v[:21])
	if err != nil {
		return time.Time{}, false
	}
	off, err := strconv.Atoi(v[22:])
	if err != nil {
		return time.Time{}, false
	}
	if v[21] == '-' {
		off = -off
	}
	return t.Add(-time.Duration(off) * time.Minute), true
}

// compareFold orders strings as WMI does for its string comparisons:
// without regard to case.
func compareFold(a, b string) int {
	return strings.Compare(strings.ToLower(a), strings.ToLower(b))
}

type wqlNull struct {
	prop string
	not  bool
}

func (e wqlNull) eval(g propGetter) tri {
	_, ok := g(e.prop)
	if ok == e.not {
		return triTrue
	}
	return triFalse
}

type wqlLike struct {
	prop string
	pat  []likeTok
	not  bool
}

func (e wqlLike) eval(g propGetter) tri {
	v, ok := g(e.prop)
	if !ok {
		return triUnknown
	}
	if likeMatch(e.pat, []rune(strings.ToLower(v))) != e.not {
		return triTrue
	}
	return triFalse
}

// likeTok is one element of a LIKE pattern: a literal rune, _ (any one), %
// (any run) or a [set].
type likeTok struct {
	kind   byte // 'c' rune, '_' any, '%' run, '[' set
	r      rune
	neg    bool
	ranges [][2]rune
}

func (t likeTok) matches(r rune) bool {
	switch t.kind {
	case 'c':
		return t.r == r
	case '_':
		return true
	case '[':
		in := false
		for _, rg := range t.ranges {
			if r >= rg[0] && r <= rg[1] {
				in = true
				break
			}
		}
		return in != t.neg
	}
	return false
}

// likeMatch runs the pattern over s with one row of states per rune:
// O(len(pat) x len(s)), never exponential.
func likeMatch(pat []likeTok, s []rune) bool {
	cur := make([]bool, len(pat)+1)
	next := make([]bool, len(pat)+1)
	cur[0] = true
	closeStars := func(st []bool) {
		for i, t := range pat {
			if st[i] && t.kind == '%' {
				st[i+1] = true
			}
		}
	}
	closeStars(cur)
	for _, r := range s {
		clear(next)
		for i, t := range pat {
			if !cur[i] {
				continue
			}
			if t.kind == '%' {
				next[i] = true
			} else if t.matches(r) {
				next[i+1] = true
			}
		}
		closeStars(next)
		cur, next = next, cur
	}
	return cur[len(pat)]
}

// parseLike compiles a WQL LIKE pattern (lower-cased: LIKE ignores case).
func parseLike(p string, pos int) ([]likeTok, error) {
	rs := []rune(strings.ToLower(p))
	var out []likeTok
	for i := 0; i < len(rs); i++ {
		switch rs[i] {
		case '%':
			if len(out) > 0 && out[len(out)-1].kind == '%' {
				continue
			}
			out = append(out, likeTok{kind: '%'})
		case '_':
			out = append(out, likeTok{kind: '_'})
		case '[':
			t := likeTok{kind: '['}
			j := i + 1
			if j < len(rs) && rs[j] == '^' {
				t.neg = true
				j++
			}
			start := j
			for ; j < len(rs) && (rs[j] != ']' || j == start); j++ {
				lo := rs[j]
				if j+2 < len(rs) && rs[j+1] == '-' && rs[j+2] != ']' {
					hi := rs[j+2]
					if hi < lo {
						return nil, &WQLError{Pos: pos, Reason: "LIKE range out of order"}
					}
					t.ranges = append(t.ranges, [2]rune{lo, hi})
					j += 2
					continue
				}
				t.ranges = append(t.ranges, [2]rune{lo, lo})
			}
			if j >= len(rs) {
				return nil, &WQLError{Pos: pos, Reason: "LIKE pattern has an unclosed ["}
			}
			out = append(out, t)
			i = j
		default:
			out = append(out, likeTok{kind: 'c', r: rs[i]})
		}
	}
	return out, nil
}

// Tokens.
type wqlTok struct {
	kind byte // 'i' identifier/keyword, 's' string, 'n' number, 'o' operator or punctuation, 0 end
	text string
	pos  int
}

func lexWQL(q string) ([]wqlTok, error) {
	var out []wqlTok
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			j := i
			for j < len(q) && (q[j] == '_' || q[j] >= 'a' && q[j] <= 'z' || q[j] >= 'A' && q[j] <= 'Z' || q[j] >= '0' && q[j] <= '9') {
				j++
			}
			out = append(out, wqlTok{'i', q[i:j], i})
			i = j
		case c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.':
			j := i + 1
			for j < len(q) && (q[j] >= '0' && q[j] <= '9' || q[j] == '.' || q[j] == 'x' || q[j] == 'X' ||
				q[j] >= 'a' && q[j] <= 'f' || q[j] >= 'A' && q[j] <= 'F') {
				j++
			}
			out = append(out, wqlTok{'n', q[i:j], i})
			i = j
		case c == '\'' || c == '"':
			var b strings.Builder
			j := i + 1
			for ; j < len(q) && q[j] != c; j++ {
				if q[j] == '\\' && j+1 < len(q) {
					j++
				}
				b.WriteByte(q[j])
			}
			if j >= len(q) {
				return nil, &WQLError{Pos: i, Reason: "unterminated string"}
			}
			if !utf8.ValidString(b.String()) {
				return nil, &WQLError{Pos: i, Reason: "string is not UTF-8"}
			}
			out = append(out, wqlTok{'s', b.String(), i})
			i = j + 1
		case c == '<' || c == '>' || c == '!':
			if i+1 < len(q) && (q[i+1] == '=' || c == '<' && q[i+1] == '>') {
				out = append(out, wqlTok{'o', q[i : i+2], i})
				i += 2
				continue
			}
			if c == '!' {
				return nil, &WQLError{Pos: i, Reason: "unexpected !"}
			}
			out = append(out, wqlTok{'o', q[i : i+1], i})
			i++
		case c == '=' || c == '(' || c == ')' || c == ',' || c == '*':
			out = append(out, wqlTok{'o', q[i : i+1], i})
			i++
		default:
			return nil, &WQLError{Pos: i, Reason: fmt.Sprintf("unexpected character %q", c)}
		}
	}
	return append(out, wqlTok{pos: len(q)}), nil
}

type wqlParser struct {
	toks  []wqlTok
	i     int
	depth int
	q     *wqlQuery
}

// parseWQL parses a query; every refusal is a *WQLError.
func parseWQL(q string) (*wqlQuery, error) {
	if len(q) > maxWQLLength {
		return nil, &WQLError{Reason: fmt.Sprintf("query longer than %d bytes", maxWQLLength)}
	}
	toks, err := lexWQL(q)
	if err != nil {
		return nil, err
	}
	p := &wqlParser{toks: toks, q: &wqlQuery{}}
	if err := p.query(); err != nil {
		return nil, err
	}
	return p.q, nil
}

func (p *wqlParser) peek() wqlTok { return p.toks[p.i] }
func (p *wqlParser) next() wqlTok {
	t := p.toks[p.i]
	if t.kind != 0 {
		p.i++
	}
	return t
}

func (p *wqlParser) isKw(kw string) bool {
	t := p.peek()
	return t.kind == 'i' && strings.EqualFold(t.text, kw)
}

func (p *wqlParser) isOp(op string) bool {
	t := p.peek()
	return t.kind == 'o' && t.text == op
}

func (p *wqlParser) fail(reason string) error {
	return &WQLError{Pos: p.peek().pos, Reason: reason}
}

func (p *wqlParser) expectKw(kw string) error {
	if !p.isKw(kw) {
		return p.fail("expected " + kw)
	}
	p.next()
	return nil
}

// keywords cannot name a property or a class.
var wqlKeywords = map[string]bool{
	"select": true, "from": true, "where": true, "and": true, "or": true, "not": true,
	"like": true, "is": true, "null": true, "true": true, "false": true, "isa": true,
	"associators": true, "references": true, "of": true, "within": true, "group": true, "having": true, "by": true,
}

func (p *wqlParser) ident(what string) (string, error) {
	t := p.peek()
	if t.kind != 'i' || wqlKeywords[strings.ToLower(t.text)] {
		return "", p.fail("expected " + what)
	}
	p.next()
	return t.text, nil
}

func (p *wqlParser) query() error {
	if err := p.expectKw("SELECT"); err != nil {
		return err
	}
	if p.isOp("*") {
		p.next()
	} else {
		for {
			name, err := p.ident("a property name or *")
			if err != nil {
				return err
			}
			p.q.props = append(p.q.props, name)
			p.q.fields = append(p.q.fields, name)
			if !p.isOp(",") {
				break
			}
			p.next()
		}
	}
	if err := p.expectKw("FROM"); err != nil {
		return err
	}
	class, err := p.ident("a class name")
	if err != nil {
		return err
	}
	p.q.class = class
	if p.isKw("WHERE") {
		p.next()
		if p.q.where, err = p.or(); err != nil {
			return err
		}
	}
	if p.peek().kind != 0 {
		return p.fail("unexpected " + p.peek().text)
	}
	return nil
}

func (p *wqlParser) enter() error {
	p.depth++
	if p.depth > maxWQLDepth {
		return p.fail(fmt.Sprintf("nested deeper than %d", maxWQLDepth))
	}
	return nil
}

func (p *wqlParser) or() (wqlExpr, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.isKw("OR") {
		p.next()
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		l = wqlOr{l, r}
	}
	return l, nil
}

func (p *wqlParser) and() (wqlExpr, error) {
	l, err := p.not()
	if err != nil {
		return nil, err
	}
	for p.isKw("AND") {
		p.next()
		r, err := p.not()
		if err != nil {
			return nil, err
		}
		l = wqlAnd{l, r}
	}
	return l, nil
}

func (p *wqlParser) not() (wqlExpr, error) {
	if p.isKw("NOT") {
		p.next()
		if err := p.enter(); err != nil {
			return nil, err
		}
		x, err := p.not()
		p.depth--
		if err != nil {
			return nil, err
		}
		return wqlNot{x}, nil
	}
	return p.primary()
}

var flipOp = map[string]string{"=": "=", "<>": "<>", "<": ">", "<=": ">=", ">": "<", ">=": "<="}

func (p *wqlParser) primary() (wqlExpr, error) {
	if p.isOp("(") {
		p.next()
		if err := p.enter(); err != nil {
			return nil, err
		}
		x, err := p.or()
		p.depth--
		if err != nil {
			return nil, err
		}
		if !p.isOp(")") {
			return nil, p.fail("expected )")
		}
		p.next()
		return x, nil
	}
	// A constant first: "5 < PercentComplete".
	if t := p.peek(); t.kind == 's' || t.kind == 'n' || p.isKw("TRUE") || p.isKw("FALSE") {
		c, err := p.constant()
		if err != nil {
			return nil, err
		}
		op, err := p.cmpOp()
		if err != nil {
			return nil, err
		}
		prop, err := p.ident("a property name (WQL compares a property with a constant)")
		if err != nil {
			return nil, err
		}
		p.q.fields = append(p.q.fields, prop)
		c.prop, c.op = prop, flipOp[op]
		return c, nil
	}
	prop, err := p.ident("a property name")
	if err != nil {
		return nil, err
	}
	p.q.fields = append(p.q.fields, prop)
	switch {
	case p.isKw("IS"):
		p.next()
		not := false
		if p.isKw("NOT") {
			p.next()
			not = true
		}
		if err := p.expectKw("NULL"); err != nil {
			return nil, err
		}
		return wqlNull{prop: prop, not: not}, nil
	case p.isKw("LIKE") || p.isKw("NOT"):
		not := false
		if p.isKw("NOT") {
			p.next()
			not = true
			if !p.isKw("LIKE") {
				return nil, p.fail("expected LIKE")
			}
		}
		p.next()
		t := p.peek()
		if t.kind != 's' {
			return nil, p.fail("LIKE needs a string pattern")
		}
		p.next()
		pat, err := parseLike(t.text, t.pos)
		if err != nil {
			return nil, err
		}
		return wqlLike{prop: prop, pat: pat, not: not}, nil
	case p.isKw("ISA"):
		return nil, p.fail("ISA is not supported here")
	}
	op, err := p.cmpOp()
	if err != nil {
		return nil, err
	}
	if p.isKw("NULL") {
		// "Prop = NULL" is how WQL spells IS NULL as well.
		p.next()
		switch op {
		case "=":
			return wqlNull{prop: prop}, nil
		case "<>":
			return wqlNull{prop: prop, not: true}, nil
		}
		return nil, p.fail("NULL compares only with = or <>")
	}
	c, err := p.constant()
	if err != nil {
		return nil, err
	}
	c.prop, c.op = prop, op
	return c, nil
}

func (p *wqlParser) cmpOp() (string, error) {
	t := p.peek()
	if t.kind == 'o' {
		switch t.text {
		case "=", "<>", "<", "<=", ">", ">=":
			p.next()
			return t.text, nil
		case "!=":
			p.next()
			return "<>", nil
		}
	}
	return "", p.fail("expected a comparison operator")
}

func (p *wqlParser) constant() (wqlCmp, error) {
	t := p.peek()
	switch {
	case t.kind == 's':
		p.next()
		return wqlCmp{kind: kString, str: t.text}, nil
	case t.kind == 'n':
		p.next()
		n, err := parseWQLNumber(t.text)
		if err != nil {
			return wqlCmp{}, &WQLError{Pos: t.pos, Reason: "bad number " + t.text}
		}
		return wqlCmp{kind: kNumber, num: n}, nil
	case p.isKw("TRUE"), p.isKw("FALSE"):
		p.next()
		return wqlCmp{kind: kBool, b: strings.EqualFold(t.text, "TRUE")}, nil
	}
	return wqlCmp{}, p.fail("expected a constant (WQL compares a property with a constant)")
}

func parseWQLNumber(s string) (float64, error) {
	neg := false
	body := s
	if len(body) > 0 && (body[0] == '-' || body[0] == '+') {
		neg = body[0] == '-'
		body = body[1:]
	}
	var n float64
	if len(body) > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X') {
		u, err := strconv.ParseUint(body[2:], 16, 64)
		if err != nil {
			return 0, err
		}
		n = float64(u)
	} else {
		f, err := strconv.ParseFloat(body, 64)
		if err != nil || strings.ContainsAny(body, "xXabcdefABCDEF") {
			return 0, fmt.Errorf("bad number")
		}
		n = f
	}
	if neg {
		n = -n
	}
	return n, nil
}
