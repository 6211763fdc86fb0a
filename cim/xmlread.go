package cim

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/beevik/etree"
)

// readDocument turns untrusted bytes into an etree document after checking
// them in one bounded token pass: size against lim.MaxBytes, nesting
// against lim.MaxDepth, no DOCTYPE/ENTITY (or any other <!...>
// declaration), well-formed and complete. etree alone bounds neither size
// nor declarations, so the pass runs first. lim must have its defaults
// filled in.
func readDocument(data []byte, lim Limits, format string) (*etree.Document, error) {
	if int64(len(data)) > lim.MaxBytes {
		return nil, decodeErrorf(format, ErrTooLarge, "%d bytes, limit %d", len(data), lim.MaxBytes)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	charset := charsetReader(data)
	if err := prescan(data, lim, format, charset); err != nil {
		return nil, err
	}
	doc := etree.NewDocument()
	doc.ReadSettings = etree.ReadSettings{CharsetReader: charset, MaxDepth: lim.MaxDepth + 1}
	if err := doc.ReadFromBytes(data); err != nil {
		return nil, decodeErrorf(format, err, "malformed XML")
	}
	if doc.Root() == nil {
		return nil, decodeErrorf(format, nil, "no root element")
	}
	return doc, nil
}

func prescan(data []byte, lim Limits, format string, charset func(string, io.Reader) (io.Reader, error)) error {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	dec.CharsetReader = charset
	depth, roots := 0, 0
	for {
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
			if depth > lim.MaxDepth {
				return decodeErrorf(format, ErrTooDeep, "nesting deeper than %d", lim.MaxDepth)
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
