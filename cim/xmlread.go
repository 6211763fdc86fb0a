package cim

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/beevik/etree"
)

// CheckXML makes the bounded pass that ParseCIMXML and ParseWSCIMBytes
// make before they build a tree, for a caller (a SOAP client, say) that
// builds the tree itself: data must be at most lim.MaxBytes long, nest at
// most lim.MaxDepth deep, hold at most lim.MaxElements elements and
// lim.MaxTotalAttributes attributes (lim.MaxAttributes on any one
// element), carry no DOCTYPE, ENTITY or other <!...> declaration, and be
// one well-formed,
// complete UTF-8 document (a byte-order mark is allowed). Zero fields of
// lim take DefaultLimits. It reads data as a stream, so the check costs
// little memory whatever data holds. Errors are *DecodeError with Format
// FormatXML, wrapping ErrTooLarge, ErrTooDeep, ErrTooMany, ErrDTD, a
// *LimitError (attributes) or the XML syntax error.
func CheckXML(data []byte, lim Limits) error {
	return CheckXMLContext(context.Background(), data, lim)
}

// CheckXMLContext is CheckXML that stops when ctx is done, returning a
// *DecodeError wrapping ctx.Err(), so that a reply that arrives just
// before a deadline is not checked for long after it.
func CheckXMLContext(ctx context.Context, data []byte, lim Limits) error {
	_, _, err := checkDocument(ctx, data, &budget{lim: lim.WithDefaults()}, FormatXML)
	return err
}

// budget is what one document and the CIM-XML strings embedded in it may
// use together, so that nesting documents in text cannot get around the
// limits.
type budget struct {
	// lim is as configured (defaults filled in); errors quote it.
	lim Limits
	// depth is how deep the enclosing documents already nest.
	depth int
	// elements and attributes count what was read so far, across all
	// documents.
	elements, attributes int
}

// readDocument turns untrusted bytes into an etree document after checking
// them with checkDocument. etree alone bounds neither size, element count
// nor declarations, so the check runs first.
func readDocument(data []byte, b *budget, format string) (*etree.Document, error) {
	data, charset, err := checkDocument(context.Background(), data, b, format)
	if err != nil {
		return nil, err
	}
	doc := etree.NewDocument()
	doc.ReadSettings = etree.ReadSettings{CharsetReader: charset, MaxDepth: b.lim.MaxDepth - b.depth + 1}
	if err := doc.ReadFromBytes(data); err != nil {
		return nil, decodeErrorf(format, err, "malformed XML")
	}
	if doc.Root() == nil {
		return nil, decodeErrorf(format, nil, "no root element")
	}
	return doc, nil
}

// checkDocument checks data in one bounded token pass: size against
// MaxBytes, nesting against MaxDepth and element count against
// MaxElements (both counted on from b), no DOCTYPE/ENTITY (or any other
// <!...> declaration), well-formed and complete. It returns data without
// a UTF-8 byte-order mark and the charset reader to parse it with.
func checkDocument(ctx context.Context, data []byte, b *budget, format string) ([]byte, func(string, io.Reader) (io.Reader, error), error) {
	if int64(len(data)) > b.lim.MaxBytes {
		return nil, nil, decodeErrorf(format, ErrTooLarge, "%d bytes, limit %d", len(data), b.lim.MaxBytes)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	charset := charsetReader(data)
	if err := countAttributes(data, b, format); err != nil {
		return nil, nil, err
	}
	if err := prescan(ctx, data, b, format, charset); err != nil {
		return nil, nil, err
	}
	return data, charset, nil
}

// countAttributes refuses a document whose start tags carry more
// attributes than the limits allow, from the bytes alone, before
// encoding/xml sees it: the decoder builds a whole start tag (every
// attribute, with its namespace resolved) before it returns the token, so
// a flood of 350k attributes on one element would cost seconds of CPU
// before the token pass could count them. In a start tag each attribute
// has exactly one '=' outside its quoted value, so counting those counts
// the attributes of a well-formed document; a malformed one may be
// counted wrong here, and is refused by the token pass that follows. It
// only reads: the budget is charged by the token pass.
func countAttributes(data []byte, b *budget, format string) error {
	total := b.attributes
	for i := 0; i < len(data); i++ {
		if data[i] != '<' || i+1 >= len(data) {
			continue
		}
		switch data[i+1] {
		case '!':
			// Comment, CDATA section or declaration: skip its body,
			// which may hold '<' and '=' freely.
			// The terminator is looked for after the whole opener, as
			// encoding/xml does: "<!-->" opens a comment, it does not
			// close one, and a scan that read it as closed would skip
			// what the decoder reads as markup.
			open, end := []byte("<!"), []byte(">")
			switch {
			case bytes.HasPrefix(data[i:], []byte("<!--")):
				open, end = []byte("<!--"), []byte("-->")
			case bytes.HasPrefix(data[i:], []byte("<![CDATA[")):
				open, end = []byte("<![CDATA["), []byte("]]>")
			}
			j := bytes.Index(data[i+len(open):], end)
			if j < 0 {
				return nil // unterminated: the token pass says so
			}
			i += len(open) + j + len(end) - 1
			continue
		case '?':
			j := bytes.Index(data[i+2:], []byte("?>"))
			if j < 0 {
				return nil
			}
			i += 2 + j + 1
			continue
		case '/':
			continue
		}
		n := 0
		var quote byte
	tag:
		for i++; i < len(data); i++ {
			c := data[i]
			switch {
			case quote != 0:
				if c == quote {
					quote = 0
				}
			case c == '"' || c == '\'':
				quote = c
			case c == '=':
				n++
			case c == '>':
				break tag
			}
		}
		if n > b.lim.MaxAttributes {
			return decodeErrorf(format, &LimitError{Limit: "MaxAttributes", Max: b.lim.MaxAttributes}, "an element has %d attributes", n)
		}
		if total += n; total > b.lim.MaxTotalAttributes {
			return decodeErrorf(format, &LimitError{Limit: "MaxTotalAttributes", Max: b.lim.MaxTotalAttributes}, "more than %d attributes", b.lim.MaxTotalAttributes)
		}
	}
	return nil
}

// ctxCheckEvery is how many tokens the pre-scan reads between looks at
// its context: often enough to stop within a millisecond or so, rarely
// enough to cost nothing.
const ctxCheckEvery = 1024

func prescan(ctx context.Context, data []byte, b *budget, format string, charset func(string, io.Reader) (io.Reader, error)) error {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	dec.CharsetReader = charset
	depth, roots := 0, 0
	for n := 0; ; n++ {
		if n%ctxCheckEvery == 0 {
			if err := ctx.Err(); err != nil {
				return decodeErrorf(format, err, "stopped checking the XML")
			}
		}
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			if roots == 0 {
				return decodeErrorf(format, nil, "no root element")
			}
			return nil
		}
		if err != nil {
			return decodeErrorf(format, err, "malformed XML")
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if b.depth+depth > b.lim.MaxDepth {
				return decodeErrorf(format, ErrTooDeep, "nesting deeper than %d", b.lim.MaxDepth)
			}
			// Depth alone does not bound memory: a flat run of <b/> costs
			// etree far more than its bytes.
			b.elements++
			if b.elements > b.lim.MaxElements {
				return decodeErrorf(format, ErrTooMany, "more than %d elements", b.lim.MaxElements)
			}
			if len(t.Attr) > b.lim.MaxAttributes {
				return decodeErrorf(format, &LimitError{Limit: "MaxAttributes", Max: b.lim.MaxAttributes}, "an element has %d attributes", len(t.Attr))
			}
			b.attributes += len(t.Attr)
			if b.attributes > b.lim.MaxTotalAttributes {
				return decodeErrorf(format, &LimitError{Limit: "MaxTotalAttributes", Max: b.lim.MaxTotalAttributes}, "more than %d attributes", b.lim.MaxTotalAttributes)
			}
			if depth == 1 {
				roots++
				if roots > 1 {
					return decodeErrorf(format, nil, "more than one root element")
				}
			}
		case xml.EndElement:
			depth--
		case xml.Directive:
			return decodeErrorf(format, ErrDTD, "found <!%.20s", t)
		case xml.CharData:
			if depth == 0 && len(bytes.TrimSpace(t)) > 0 {
				return decodeErrorf(format, nil, "text outside the root element")
			}
		}
	}
}

// charsetReader lets a declaration name any encoding when the bytes are
// already valid UTF-8: CIM-XML arrives as a string already decoded from
// its SOAP envelope, and some producers keep an encoding="utf-16"
// declaration that no longer describes it. Anything else that is not
// UTF-8 is refused by encoding/xml.
func charsetReader(data []byte) func(string, io.Reader) (io.Reader, error) {
	if !utf8.Valid(data) {
		return nil
	}
	return func(_ string, in io.Reader) (io.Reader, error) { return in, nil }
}

// charData concatenates the text and CDATA children of el, which is the
// value of a leaf element whether the producer escaped its text or wrapped
// it in CDATA (or mixed both).
func charData(el *etree.Element) string {
	var b strings.Builder
	for _, tok := range el.Child {
		if cd, ok := tok.(*etree.CharData); ok {
			b.WriteString(cd.Data)
		}
	}
	return b.String()
}

// attrValue returns the value of el's unprefixed attribute named key,
// compared without regard to case, and whether it was present.
func attrValue(el *etree.Element, key string) (string, bool) {
	for _, a := range el.Attr {
		if a.Space == "" && strings.EqualFold(a.Key, key) {
			return a.Value, true
		}
	}
	return "", false
}
