package simulator

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/beevik/etree"
)

// request is what the simulator reads from a request envelope.
type request struct {
	identify bool

	messageID    string
	hasMessageID bool
	action       string
	hasAction    bool
	resourceURI  string
	hasResource  bool
	maxEnvelope  int // 0 when absent
	localeMust   bool
	selectors    []selector
	// body is the first element child of s:Body, or nil.
	body *etree.Element
	// bodyRoot is s:Body itself (for Enumerate/Pull).
	bodyRoot *etree.Element
}

type selector struct{ name, value string }

// maxRequestDepth bounds nesting: WS-Man requests are shallow, and deep
// nesting is only ever an attack.
const maxRequestDepth = 64

// parseRequest reads a request envelope. On a protocol error it returns the
// fault fixture to answer with, along with whatever it had read (for
// RelatesTo).
func parseRequest(data []byte) (*request, string) {
	req := &request{}
	// A DTD has no place in SOAP (SOAP 1.2 part 1, 5): refuse it before parsing.
	if bytes.Contains(data, []byte("<!DOCTYPE")) || bytes.Contains(data, []byte("<!ENTITY")) {
		return req, faultMalformed
	}
	doc := etree.NewDocument()
	doc.ReadSettings.MaxDepth = maxRequestDepth
	if err := doc.ReadFromBytes(data); err != nil {
		return req, faultMalformed
	}
	root := doc.Root()
	if root == nil || root.Tag != "Envelope" || root.NamespaceURI() != nsSOAP {
		return req, faultMalformed
	}
	body := child(root, nsSOAP, "Body")
	if body == nil {
		return req, faultMalformed
	}
	req.bodyRoot = body
	req.body = firstChild(body)
	if req.body != nil && req.body.Tag == "Identify" && req.body.NamespaceURI() == nsIdentity {
		req.identify = true
		return req, ""
	}
	if h := child(root, nsSOAP, "Header"); h != nil {
		if f := req.readHeaders(h); f != "" {
			return req, f
		}
	}
	switch {
	case !req.hasMessageID:
		return req, faultMissingHeader
	case req.messageID == "":
		return req, faultInvalidHeader
	case req.localeMust:
		return req, faultLocaleMust
	case req.maxEnvelope != 0 && req.maxEnvelope < minEnvelopeSize:
		return req, faultEnvelopeTooSmall
	case !req.hasAction:
		return req, faultMissingHeader
	case req.action == "":
		return req, faultInvalidHeader
	}
	return req, ""
}

func (req *request) readHeaders(h *etree.Element) string {
	for _, el := range h.ChildElements() {
		ns := el.NamespaceURI()
		switch {
		case ns == nsAddressing && el.Tag == "MessageID":
			req.messageID, req.hasMessageID = strings.TrimSpace(el.Text()), true
		case ns == nsAddressing && el.Tag == "Action":
			req.action, req.hasAction = strings.TrimSpace(el.Text()), true
		case ns == nsWSMan && el.Tag == "ResourceURI":
			req.resourceURI, req.hasResource = strings.TrimSpace(el.Text()), true
		case ns == nsWSMan && el.Tag == "MaxEnvelopeSize":
			n, err := strconv.Atoi(strings.TrimSpace(el.Text()))
			if err != nil || n <= 0 {
				return faultInvalidHeader
			}
			req.maxEnvelope = n
		case (ns == nsWSMan && el.Tag == "Locale") || (ns == nsMSWSMan && el.Tag == "DataLocale"):
			if mustUnderstand(el) {
				req.localeMust = true
			}
		case ns == nsWSMan && el.Tag == "SelectorSet":
			for _, s := range el.ChildElements() {
				if s.Tag == "Selector" && s.NamespaceURI() == nsWSMan {
					req.selectors = append(req.selectors, selector{
						name:  strings.TrimSpace(s.SelectAttrValue("Name", "")),
						value: strings.TrimSpace(s.Text()),
					})
				}
			}
		}
		// Other headers (To, ReplyTo, OperationTimeout, OptionSet, vendor
		// headers) do not change the reply.
	}
	return ""
}

// mustUnderstand reads the attribute whatever its prefix: Windows clients
// send it both as s:mustUnderstand and unqualified.
func mustUnderstand(el *etree.Element) bool {
	for _, a := range el.Attr {
		if a.Key == "mustUnderstand" {
			v := strings.TrimSpace(a.Value)
			return v == "true" || v == "1"
		}
	}
	return false
}

// child returns the first element child of el with the namespace URI and
// local name.
func child(el *etree.Element, ns, local string) *etree.Element {
	for _, c := range el.ChildElements() {
		if c.Tag == local && c.NamespaceURI() == ns {
			return c
		}
	}
	return nil
}

func firstChild(el *etree.Element) *etree.Element {
	if cs := el.ChildElements(); len(cs) > 0 {
		return cs[0]
	}
	return nil
}
