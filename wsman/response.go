package wsman

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/beevik/etree"
	"github.com/cimjob/cimjob/cim"
)

// ErrDTD is wrapped by the *ResponseError for a reply that carries a
// document type declaration or entity declarations. SOAP forbids them
// (SOAP 1.2 part 1, 5) and they are the vehicle of entity-expansion bombs.
var ErrDTD = errors.New("wsman: DTD or entity declaration in reply")

// nsSOAP11 is the SOAP 1.1 envelope namespace, named only to say clearly
// that a reply used the wrong SOAP version.
const nsSOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"

// readXML parses data as one XML document within lim, refusing DTDs.
func readXML(data []byte, lim cim.Limits) (*etree.Document, error) {
	return readXMLContext(context.Background(), data, lim)
}

// readXMLContext is readXML that stops when ctx is done, between phases
// and during the pre-scan.
func readXMLContext(ctx context.Context, data []byte, lim cim.Limits) (*etree.Document, error) {
	lim = lim.WithDefaults()
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &ResponseError{Reason: "empty reply"}
	}
	if int64(len(data)) > lim.MaxBytes {
		return nil, &ResponseError{Reason: fmt.Sprintf("reply of %d bytes exceeds the %d-byte limit", len(data), lim.MaxBytes), Err: ErrBodyTooLarge, Limit: lim.MaxBytes}
	}
	// A streaming pass first, so that etree never builds a tree larger than
	// the limits allow: a reply of small elements costs ~50x its size in
	// memory once parsed.
	if err := cim.CheckXMLContext(ctx, data, lim); err != nil {
		var le *cim.LimitError
		switch {
		case ctx.Err() != nil && errors.Is(err, ctx.Err()):
			return nil, stopped(ctx)
		case errors.As(err, &le):
			// The limit error says which limit; the decode error around it
			// would only repeat it.
			reason := "reply refused"
			var de *cim.DecodeError
			if errors.As(err, &de) {
				reason += ": " + de.Reason
			}
			return nil, &ResponseError{Reason: reason, Err: le}
		case errors.Is(err, cim.ErrDTD):
			return nil, &ResponseError{Reason: "reply carries a DTD", Err: ErrDTD}
		case errors.Is(err, cim.ErrTooMany):
			return nil, &ResponseError{Reason: fmt.Sprintf("reply has more than %d elements", lim.MaxElements), Err: err}
		case errors.Is(err, cim.ErrTooDeep):
			return nil, &ResponseError{Reason: fmt.Sprintf("reply nests elements deeper than %d", lim.MaxDepth), Err: err}
		}
		return nil, &ResponseError{Reason: "malformed XML", Err: err}
	}
	doc := etree.NewDocument()
	doc.ReadSettings.MaxDepth = lim.MaxDepth
	if err := doc.ReadFromBytes(data); err != nil {
		// encoding/xml fails on the first undefined entity reference, which
		// hides the real cause when a DTD declared it.
		if bytes.Contains(data, []byte("<!DOCTYPE")) || bytes.Contains(data, []byte("<!ENTITY")) {
			return nil, &ResponseError{Reason: "reply carries a DTD", Err: ErrDTD}
		}
		if errors.Is(err, etree.ErrMaxDepth) {
			return nil, &ResponseError{Reason: fmt.Sprintf("reply nests elements deeper than %d", lim.MaxDepth), Err: err}
		}
		return nil, &ResponseError{Reason: "malformed XML", Err: err}
	}
	roots := 0
	var dtd bool
	for _, t := range doc.Child {
		switch t := t.(type) {
		case *etree.Element:
			roots++
			walkTokens(t, func(tok etree.Token) {
				if _, ok := tok.(*etree.Directive); ok {
					dtd = true
				}
			})
		case *etree.Directive:
			dtd = true
		case *etree.CharData:
			if !t.IsWhitespace() {
				return nil, &ResponseError{Reason: "text outside the root element"}
			}
		}
	}
	if dtd {
		return nil, &ResponseError{Reason: "reply carries a DTD", Err: ErrDTD}
	}
	if roots != 1 {
		return nil, &ResponseError{Reason: fmt.Sprintf("reply has %d root elements, want 1", roots)}
	}
	return doc, nil
}

// stopped is the error for parsing abandoned because ctx is done.
func stopped(ctx context.Context) error {
	return &ResponseError{Reason: "stopped reading the reply", Err: ctx.Err()}
}

// walkTokens calls fn for every token below e.
func walkTokens(e *etree.Element, fn func(etree.Token)) {
	for _, t := range e.Child {
		fn(t)
		if c, ok := t.(*etree.Element); ok {
			walkTokens(c, fn)
		}
	}
}

// ParseResponse parses a reply envelope. A fault in the body is returned as
// a *Fault error (with the parsed Response); malformed input as a
// *ResponseError. Elements are found by namespace URI and local name, so
// any prefixes work, and unknown headers are ignored.
func ParseResponse(data []byte, lim cim.Limits) (*Response, error) {
	return parseResponse(context.Background(), data, lim)
}

// parseResponse is ParseResponse that gives up when ctx is done. Its cost
// is linear in the size of data: namespaces are resolved once, for the
// whole tree.
func parseResponse(ctx context.Context, data []byte, lim cim.Limits) (*Response, error) {
	doc, err := readXMLContext(ctx, data, lim)
	if err != nil {
		return nil, err
	}
	if ctx.Err() != nil {
		return nil, stopped(ctx)
	}
	env := doc.Root()
	t := tree{ns: cim.ResolveNamespaces(env)}
	if !t.is(env, NSSOAP, "Envelope") {
		if env.Tag == "Envelope" && t.ns.URI(env) == nsSOAP11 {
			return nil, &ResponseError{Reason: "reply is a SOAP 1.1 envelope; WS-Management uses SOAP 1.2"}
		}
		return nil, &ResponseError{Reason: fmt.Sprintf("reply root is {%s}%s, not a SOAP envelope", t.ns.URI(env), env.Tag)}
	}
	body := t.child(env, NSSOAP, "Body")
	if body == nil {
		return nil, &ResponseError{Reason: "SOAP envelope has no Body"}
	}
	r := &Response{Doc: doc, Body: firstChildElement(body), ns: t.ns}
	if hdr := t.child(env, NSSOAP, "Header"); hdr != nil {
		r.Action = textOf(t.child(hdr, NSAddressing, "Action"))
		r.MessageID = textOf(t.child(hdr, NSAddressing, "MessageID"))
		r.RelatesTo = textOf(t.child(hdr, NSAddressing, "RelatesTo"))
	}
	if t.is(r.Body, NSSOAP, "Fault") {
		f, err := parseFault(t, r.Body, lim)
		if err != nil {
			return nil, err
		}
		f.Action = r.Action
		return r, f
	}
	return r, nil
}
