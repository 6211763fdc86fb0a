package wsman

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/beevik/etree"
	"github.com/cimjob/cimjob/cim"
)

// Defaults the Client uses when its fields are zero.
const (
	DefaultMaxEnvelopeSize  = 153600
	DefaultOperationTimeout = 60 * time.Second
	DefaultLocale           = "en-US"
	DefaultMaxPulls         = 10000
	// ReplyGrace is how much longer than the OperationTimeout it sent the
	// Client waits, when the caller set no deadline, for the reply to
	// cross the network.
	ReplyGrace = 30 * time.Second
)

// Client sends WS-Management requests over a Transport.
type Client struct {
	Transport Transport
	// URL is the service address, used as wsa:To ("http://host:5985/wsman").
	URL string
	// MaxEnvelopeSize is sent as wsman:MaxEnvelopeSize.
	MaxEnvelopeSize int
	// Locale is sent as wsman:Locale and DataLocale.
	Locale string
	// OperationTimeout is sent when the context has no deadline, and the
	// call is then given OperationTimeout + ReplyGrace as its deadline, so
	// that no call waits forever; with a deadline, the time left (less a
	// margin for the reply) is sent.
	OperationTimeout time.Duration
	// NewMessageID makes MessageIDs; nil means random "uuid:" IDs. Tests set it.
	NewMessageID func() string
	// Limits bounds the parsing of replies and of CIM instances in them.
	Limits cim.Limits
	// MaxPulls bounds the Pull requests of one Enumerate, so that a service
	// that never says EndOfSequence cannot keep the client pulling; 0 means
	// DefaultMaxPulls.
	MaxPulls int
}

// Response is a parsed WS-Management reply.
type Response struct {
	Action    string
	MessageID string
	RelatesTo string
	// Body is the first element child of s:Body (nil for an empty body).
	Body *etree.Element
	// Doc is the whole parsed envelope.
	Doc *etree.Document

	// ns holds the namespaces of Doc, resolved once.
	ns *cim.Namespaces
}

// Namespaces returns the namespaces of every element of the reply,
// resolved once when it was parsed; decoders of its elements resolve
// names through it rather than through etree's NamespaceURI, whose cost
// grows with every attribute of every ancestor.
func (r *Response) Namespaces() *cim.Namespaces {
	if r.ns == nil && r.Doc != nil {
		r.ns = cim.ResolveNamespaces(r.Doc.Root())
	}
	return r.ns
}

// Identity is the reply to an Identify request.
type Identity struct {
	ProtocolVersion string
	ProductVendor   string
	ProductVersion  string
}

// Output is the reply to an Invoke: the <Method>_OUTPUT element's
// parameters, by name.
type Output struct {
	// Element is the <Method>_OUTPUT element itself.
	Element *etree.Element

	// ns holds the namespaces of the reply Element is in.
	ns *cim.Namespaces
}

// Namespaces returns the namespaces of the reply the output is in (see
// Response.Namespaces), for decoding its parameters.
func (o *Output) Namespaces() *cim.Namespaces {
	if o.ns == nil && o.Element != nil {
		o.ns = cim.ResolveNamespaces(o.Element)
	}
	return o.ns
}

// Do sends r, fills in its headers, parses the reply and checks that its
// RelatesTo matches the MessageID sent. A fault is returned as a *Fault,
// with the parsed Response, whatever HTTP status carried it.
func (c *Client) Do(ctx context.Context, r *Request) (*Response, error) {
	if c.Transport == nil {
		return nil, errors.New("wsman: Client has no Transport")
	}
	if c.URL == "" && !r.isIdentify() {
		return nil, errors.New("wsman: Client has no URL")
	}
	opTimeout := c.operationTimeout(ctx)
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opTimeout+ReplyGrace)
		defer cancel()
	}
	h := Headers{
		To:               c.URL,
		MessageID:        c.messageID(),
		MaxEnvelopeSize:  c.MaxEnvelopeSize,
		OperationTimeout: opTimeout,
		Locale:           c.locale(),
		DataLocale:       c.locale(),
	}
	env, err := r.Envelope(h)
	if err != nil {
		return nil, err
	}
	if r.Idempotent {
		ctx = withIdempotent(ctx)
	}
	body, status, err := c.roundTrip(ctx, env)
	if err != nil {
		// A SOAP fault may come with any status (Windows uses 400 too).
		var he *HTTPError
		if errors.As(err, &he) && len(he.Body) > 0 {
			if resp, perr := parseResponse(ctx, he.Body, c.Limits); isFault(perr) {
				return c.finishFault(resp, perr, he.StatusCode, r, h.MessageID)
			}
		}
		return nil, err
	}
	resp, err := parseResponse(ctx, body, c.Limits)
	if isFault(err) {
		return c.finishFault(resp, err, status, r, h.MessageID)
	}
	if err != nil {
		return nil, err
	}
	if status == 500 {
		return nil, &HTTPError{URL: c.URL, StatusCode: 500, Status: "500 Internal Server Error", Snippet: "a SOAP reply without a fault"}
	}
	if !r.isIdentify() && resp.RelatesTo != h.MessageID {
		return nil, relatesToError(resp.RelatesTo, h.MessageID)
	}
	return resp, nil
}

func isFault(err error) bool {
	var f *Fault
	return errors.As(err, &f)
}

func (c *Client) finishFault(resp *Response, err error, status int, r *Request, sent string) (*Response, error) {
	var f *Fault
	errors.As(err, &f)
	f.HTTPStatus = status
	f.Reason = f.pickReason(c.locale())
	// Some faults are raised before the service reads the MessageID, and
	// carry no RelatesTo; one that names another message is not ours.
	if !r.isIdentify() && resp.RelatesTo != "" && resp.RelatesTo != sent {
		return nil, relatesToError(resp.RelatesTo, sent)
	}
	return resp, f
}

func relatesToError(got, want string) error {
	return &ResponseError{Reason: fmt.Sprintf("reply RelatesTo %q does not match the request's MessageID %q", got, want)}
}

// roundTrip uses the status-reporting path when the transport has one.
func (c *Client) roundTrip(ctx context.Context, env []byte) ([]byte, int, error) {
	if st, ok := c.Transport.(StatusTransport); ok {
		return st.RoundTripStatus(ctx, env)
	}
	body, err := c.Transport.RoundTrip(ctx, env)
	return body, 0, err
}

func (c *Client) locale() string {
	if c.Locale != "" {
		return c.Locale
	}
	return DefaultLocale
}

func (c *Client) messageID() string {
	if c.NewMessageID != nil {
		return c.NewMessageID()
	}
	return NewMessageID()
}

// NewMessageID returns a random "uuid:" message ID in the form Windows uses.
func NewMessageID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("uuid:%X-%X-%X-%X-%X", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// operationTimeout asks the service to give up a little before the caller
// does, so that the caller gets the service's TimedOut fault rather than
// a bare deadline.
func (c *Client) operationTimeout(ctx context.Context) time.Duration {
	if dl, ok := ctx.Deadline(); ok {
		left := time.Until(dl)
		margin := min(left/10, 2*time.Second)
		return max(left-margin, time.Second)
	}
	if c.OperationTimeout > 0 {
		return c.OperationTimeout
	}
	return DefaultOperationTimeout
}

// Identify asks the service who it is.
func (c *Client) Identify(ctx context.Context) (*Identity, error) {
	resp, err := c.Do(ctx, NewIdentify())
	if err != nil {
		return nil, err
	}
	b := resp.Body
	if b == nil || b.Tag != "IdentifyResponse" {
		return nil, &ResponseError{Reason: "reply to Identify has no IdentifyResponse"}
	}
	t := tree{ns: resp.Namespaces()}
	ns := t.ns.URI(b)
	return &Identity{
		ProtocolVersion: textOf(t.child(b, ns, "ProtocolVersion")),
		ProductVendor:   textOf(t.child(b, ns, "ProductVendor")),
		ProductVersion:  textOf(t.child(b, ns, "ProductVersion")),
	}, nil
}

// Get fetches one instance and decodes it as WS-CIM.
func (c *Client) Get(ctx context.Context, resourceURI string, selectors ...Selector) (*cim.Instance, error) {
	resp, err := c.Do(ctx, NewGet(resourceURI, selectors...))
	if err != nil {
		return nil, err
	}
	if resp.Body == nil {
		return nil, &ResponseError{Reason: "reply to Get has an empty body"}
	}
	inst, err := cim.ParseWSCIMWith(resp.Body, resp.Namespaces(), c.Limits)
	if err != nil {
		return nil, &ResponseError{Reason: "decoding the instance in the reply to Get", Err: err}
	}
	return inst, nil
}

// Invoke calls a method and returns its output element. The request is
// not idempotent: for a method that changes nothing, use InvokeRequest
// with Request.Idempotent set.
func (c *Client) Invoke(ctx context.Context, resourceURI, method string, selectors []Selector, params []Param) (*Output, error) {
	return c.InvokeRequest(ctx, NewInvoke(resourceURI, method, selectors, params))
}

// InvokeRequest sends r, made by NewInvoke, and returns the method's
// output element.
func (c *Client) InvokeRequest(ctx context.Context, r *Request) (*Output, error) {
	if r.method == "" {
		return nil, errors.New("wsman: InvokeRequest needs a request made by NewInvoke")
	}
	method := r.method
	resp, err := c.Do(ctx, r)
	if err != nil {
		return nil, err
	}
	// Method names are case-insensitive in CIM; the service echoes its own
	// spelling.
	if resp.Body == nil || !strings.EqualFold(resp.Body.Tag, method+"_OUTPUT") {
		got := "an empty body"
		if resp.Body != nil {
			got = "<" + resp.Body.Tag + ">"
		}
		return nil, &ResponseError{Reason: fmt.Sprintf("reply to %s has %s, want <%s_OUTPUT>", method, got, method)}
	}
	return &Output{Element: resp.Body, ns: resp.Namespaces()}, nil
}

// ReturnValue returns the ReturnValue output parameter.
func (o *Output) ReturnValue() (uint32, error) {
	ps := o.Params("ReturnValue")
	if len(ps) == 0 {
		return 0, &ResponseError{Reason: "method output has no ReturnValue"}
	}
	if o.Namespaces().IsNil(ps[0]) {
		return 0, &ResponseError{Reason: "method output ReturnValue is nil"}
	}
	n, err := strconv.ParseUint(textOf(ps[0]), 10, 32)
	if err != nil {
		return 0, &ResponseError{Reason: fmt.Sprintf("method output ReturnValue %q is not a uint32", textOf(ps[0])), Err: err}
	}
	return uint32(n), nil
}

// Params returns every element child of the output with the given local
// name (compared without regard to case, as CIM names are; any
// namespace), in order (an array parameter is its element repeated).
func (o *Output) Params(name string) []*etree.Element {
	if o == nil || o.Element == nil {
		return nil
	}
	var out []*etree.Element
	for _, c := range o.Element.ChildElements() {
		if strings.EqualFold(c.Tag, name) {
			out = append(out, c)
		}
	}
	return out
}
