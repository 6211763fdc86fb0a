package wsman

import (
	"context"
	"fmt"

	"github.com/cimjob/cimjob/cim"
)

// Enumerate runs Enumerate and then Pull until EndOfSequence, decoding each
// item as WS-CIM. With Optimize the first items may come in the Enumerate
// reply itself (w:Items); later ones come in PullResponse (n:Items).
func (c *Client) Enumerate(ctx context.Context, resourceURI string, opt EnumerateOptions) ([]*cim.Instance, error) {
	resp, err := c.Do(ctx, NewEnumerate(resourceURI, opt))
	if err != nil {
		return nil, err
	}
	if !(tree{ns: resp.Namespaces()}).is(resp.Body, NSEnumeration, "EnumerateResponse") {
		return nil, &ResponseError{Reason: "reply to Enumerate has no EnumerateResponse"}
	}
	var out []*cim.Instance
	page, err := c.readPage(resp, &out)
	if err != nil {
		return nil, err
	}
	maxPulls := c.MaxPulls
	if maxPulls <= 0 {
		maxPulls = DefaultMaxPulls
	}
	for pulls := 0; !page.end; pulls++ {
		if pulls >= maxPulls {
			c.release(ctx, resourceURI, page.context)
			return nil, &ResponseError{Reason: fmt.Sprintf("enumeration did not end after %d pulls", maxPulls)}
		}
		resp, err := c.Do(ctx, NewPull(resourceURI, page.context, opt.MaxElements))
		if err != nil {
			return nil, err
		}
		if !(tree{ns: resp.Namespaces()}).is(resp.Body, NSEnumeration, "PullResponse") {
			c.release(ctx, resourceURI, page.context)
			return nil, &ResponseError{Reason: "reply to Pull has no PullResponse"}
		}
		prev := page.context
		page, err = c.readPage(resp, &out)
		if err != nil {
			c.release(ctx, resourceURI, prev)
			return nil, err
		}
		if page.context == "" && !page.end {
			// A PullResponse may omit the context when it is unchanged.
			page.context = prev
		}
	}
	return out, nil
}

type enumPage struct {
	context string
	end     bool
}

// readPage reads the context, items and EndOfSequence of an
// EnumerateResponse or PullResponse. Items and EndOfSequence are in the
// wsman namespace in an optimized EnumerateResponse and in the enumeration
// namespace in a PullResponse; either is accepted in both.
func (c *Client) readPage(resp *Response, out *[]*cim.Instance) (enumPage, error) {
	el, t := resp.Body, tree{ns: resp.Namespaces()}
	p := enumPage{context: textOf(t.child(el, NSEnumeration, "EnumerationContext"))}
	p.end = t.child(el, NSWSMan, "EndOfSequence") != nil || t.child(el, NSEnumeration, "EndOfSequence") != nil
	for _, ns := range []string{NSWSMan, NSEnumeration} {
		for _, items := range t.children(el, ns, "Items") {
			for _, it := range items.ChildElements() {
				inst, err := cim.ParseWSCIMWith(it, t.ns, c.Limits)
				if err != nil {
					return p, &ResponseError{Reason: fmt.Sprintf("decoding enumeration item %d", len(*out)+1), Err: err}
				}
				*out = append(*out, inst)
			}
		}
	}
	if !p.end && p.context == "" && el.Tag == "EnumerateResponse" {
		return p, &ResponseError{Reason: "EnumerateResponse has neither an EnumerationContext nor EndOfSequence"}
	}
	return p, nil
}

// release frees a context the client gives up on; best effort, because the
// service expires contexts anyway.
func (c *Client) release(ctx context.Context, resourceURI, enumCtx string) {
	if enumCtx == "" || ctx.Err() != nil {
		return
	}
	// The enumeration's own error is what the caller needs; a failed
	// Release adds nothing to it.
	_, _ = c.Do(ctx, NewRelease(resourceURI, enumCtx))
}
