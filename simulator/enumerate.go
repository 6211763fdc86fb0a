package simulator

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/beevik/etree"
)

const (
	nsEnumeration = "http://schemas.xmlsoap.org/ws/2004/09/enumeration"
	dialectWQL    = "http://schemas.microsoft.com/wbem/wsman/1/WQL"
	addrAnonymous = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
)

// Enumeration defaults, as winrm/config/service has them out of the box.
const (
	// DefaultEnumerationTimeout is EnumerationTimeoutms (MS-WSMAN 2.2.4.7
	// names the setting; 240000 is the value `winrm get winrm/config`
	// shows): a context unused this long is gone.
	DefaultEnumerationTimeout = 240 * time.Second
	// DefaultMaxEnumerations bounds the open contexts of one host, as
	// MaxConcurrentOperationsPerUser (1500) bounds a user's operations.
	DefaultMaxEnumerations = 1500
	// maxBatchItems is MaxBatchItems: no batch holds more.
	maxBatchItems = 32000
)

// Fault fixtures of enumeration.
const (
	faultInvalidEnumContext = "faults/invalid-enumeration-context.xml"
	faultCannotProcess      = "faults/cannot-process-filter.xml"
	faultDialectUnavailable = "faults/filter-dialect-unavailable.xml"
	faultEncodingLimit      = "faults/encoding-limit.xml"
	faultTooManyOperations  = "faults/too-many-operations.xml"
	faultExpiresUnsupported = "faults/expiration-unsupported.xml"
)

// enumState holds a host's open enumeration contexts.
type enumState struct {
	mu   sync.Mutex
	ctxs map[string]*enumContext
}

// enumContext is what an enumeration needs to go on: the query and how far
// it got. Items are listed again at each Pull (they are deterministic), so
// an open context costs a few words, whatever the result size.
type enumContext struct {
	ns, class string
	query     *wqlQuery // nil: the class, unfiltered
	pos       int
	lastUsed  time.Time
}

// serveEnumeration answers Enumerate, Pull and Release; false for any
// other action.
func (s *Server) serveEnumeration(w http.ResponseWriter, r *http.Request, req *request) bool {
	switch req.action {
	case actionEnumerate:
		s.enumerate(w, r, req)
	case actionPull:
		s.pull(w, r, req)
	case actionRelease:
		s.release(w, r, req)
	default:
		return false
	}
	return true
}

func (s *Server) enumTimeout() time.Duration {
	if s.enumTTL > 0 {
		return s.enumTTL
	}
	return DefaultEnumerationTimeout
}

func (s *Server) enumerate(w http.ResponseWriter, r *http.Request, req *request) {
	en := req.body
	if en == nil || en.Tag != "Enumerate" || en.NamespaceURI() != nsEnumeration {
		s.reply(w, r, req, faultMalformed)
		return
	}
	if child(en, nsEnumeration, "Expires") != nil {
		s.reply(w, r, req, faultExpiresUnsupported)
		return
	}
	if child(en, nsEnumeration, "Filter") != nil {
		s.reply(w, r, req, faultDialectUnavailable)
		return
	}
	optimize := child(en, nsWSMan, "OptimizeEnumeration") != nil
	maxEl, ok := maxElements(child(en, nsWSMan, "MaxElements"))
	if !ok {
		s.reply(w, r, req, faultInvalidHeader)
		return
	}
	ns, class, star, f := s.enumResource(req)
	if f != "" {
		s.reply(w, r, req, f)
		return
	}
	ec := &enumContext{ns: ns, class: class}
	filter := child(en, nsWSMan, "Filter")
	switch {
	case filter != nil:
		if d := filter.SelectAttrValue("Dialect", dialectWQL); d != dialectWQL {
			s.reply(w, r, req, faultDialectUnavailable)
			return
		}
		q, err := parseWQL(strings.TrimSpace(filter.Text()))
		if err != nil {
			s.logRequest(r, "filter refused: %v", err)
			s.reply(w, r, req, faultCannotProcess)
			return
		}
		// A class URI with a filter must name the same class (inferred);
		// the * URI takes the class from the query.
		if !star && !strings.EqualFold(q.class, class) {
			s.reply(w, r, req, faultCannotProcess)
			return
		}
		cls, ok := s.hasClass(ns, q.class)
		if !ok {
			s.reply(w, r, req, faultClassNotFound)
			return
		}
		if !s.knowsFields(ns, cls, q.fields) {
			s.reply(w, r, req, faultCannotProcess)
			return
		}
		ec.class, ec.query = cls, q
	case star:
		// The * URI is for filtered enumeration only.
		s.reply(w, r, req, faultInvalidResourceURI)
		return
	}
	if !optimize {
		id, ok := s.openContext(ec)
		if !ok {
			s.reply(w, r, req, faultTooManyOperations)
			return
		}
		s.sendBatch(w, r, req, "EnumerateResponse", id, nil, false, nsEnumeration)
		return
	}
	items, end, f := s.batch(req, ec, maxEl)
	if f != "" {
		s.reply(w, r, req, f)
		return
	}
	id := ""
	if !end {
		var ok bool
		if id, ok = s.openContext(ec); !ok {
			s.reply(w, r, req, faultTooManyOperations)
			return
		}
	}
	s.sendBatch(w, r, req, "EnumerateResponse", id, items, end, nsWSMan)
}

// maxElements reads a MaxElements element: absent means 1 (the default of
// both WS-Enumeration's Pull and DSP0226's optimized Enumerate).
func maxElements(m *etree.Element) (int, bool) {
	if m == nil {
		return 1, true
	}
	n, err := strconv.Atoi(strings.TrimSpace(m.Text()))
	return n, err == nil && n > 0
}

func (s *Server) pull(w http.ResponseWriter, r *http.Request, req *request) {
	p := req.body
	if p == nil || p.Tag != "Pull" || p.NamespaceURI() != nsEnumeration {
		s.reply(w, r, req, faultMalformed)
		return
	}
	maxEl, ok := maxElements(child(p, nsEnumeration, "MaxElements"))
	if !ok {
		s.reply(w, r, req, faultInvalidHeader)
		return
	}
	id := strings.TrimSpace(textOf(child(p, nsEnumeration, "EnumerationContext")))
	ec := s.takeContext(id)
	if ec == nil {
		s.reply(w, r, req, faultInvalidEnumContext)
		return
	}
	items, end, f := s.batch(req, ec, maxEl)
	if f != "" {
		s.putContext(id, ec)
		s.reply(w, r, req, f)
		return
	}
	if end {
		id = "" // removed at EndOfSequence
	} else {
		s.putContext(id, ec)
	}
	s.sendBatch(w, r, req, "PullResponse", id, items, end, nsEnumeration)
}

func (s *Server) release(w http.ResponseWriter, r *http.Request, req *request) {
	p := req.body
	if p == nil || p.Tag != "Release" || p.NamespaceURI() != nsEnumeration {
		s.reply(w, r, req, faultMalformed)
		return
	}
	if s.takeContext(strings.TrimSpace(textOf(child(p, nsEnumeration, "EnumerationContext")))) == nil {
		s.reply(w, r, req, faultInvalidEnumContext)
		return
	}
	var b bytes.Buffer
	s.writeHead(&b, req, "ReleaseResponse")
	b.WriteString("<s:Body/></s:Envelope>")
	writeSOAP(w, http.StatusOK, b.Bytes())
	s.logRequest(r, "%s -> 200", req.action)
}

// enumResource reads the resource URI of an enumeration: a class URI, or
// the namespace's * URI (star).
func (s *Server) enumResource(req *request) (ns, class string, star bool, fault string) {
	uri := req.resourceURI
	if len(uri) > len(wmiPrefix) && strings.EqualFold(uri[:len(wmiPrefix)], wmiPrefix) && strings.HasSuffix(uri, "/*") {
		ns = normNamespace(uri[len(wmiPrefix) : len(uri)-2])
		if ns == "" {
			return "", "", false, faultInvalidResourceURI
		}
		if !hasFold(s.sc.Namespaces, ns) {
			return "", "", false, faultInvalidNamespace
		}
		return ns, "", true, ""
	}
	ns, class, fault = s.resolveResource(req)
	return ns, class, false, fault
}

// matching lists the instances an enumeration returns, in a stable order.
func (s *Server) matching(ec *enumContext) []*instance {
	var out []*instance
	for _, in := range s.instances(ec.ns) {
		if !isA(in.class, ec.class) {
			continue
		}
		if ec.query != nil && ec.query.where != nil && ec.query.where.eval(in.value) != triTrue {
			continue
		}
		out = append(out, in)
	}
	return out
}

// batch renders the next items of ec: at most maxEl of them, and no more
// than fit the request's MaxEnvelopeSize.
func (s *Server) batch(req *request, ec *enumContext, maxEl int) ([][]byte, bool, string) {
	all := s.matching(ec)
	limit := req.maxEnvelope
	if limit == 0 {
		limit = s.sc.MaxEnvelopeSizeKB << 10
	}
	// The envelope around the items: headers and the response elements.
	budget := limit - envelopeOverhead - len(req.messageID)
	maxEl = min(maxEl, maxBatchItems)
	var items [][]byte
	used := 0
	for ec.pos < len(all) && len(items) < maxEl {
		var b bytes.Buffer
		in := all[ec.pos]
		if ec.query != nil && ec.query.props != nil {
			in.writeFragment(&b, ec.query.props)
		} else {
			in.writeInstance(&b)
		}
		if used+b.Len() > budget {
			if len(items) == 0 {
				return nil, false, faultEncodingLimit
			}
			break
		}
		used += b.Len()
		items = append(items, b.Bytes())
		ec.pos++
	}
	return items, ec.pos >= len(all), ""
}

// envelopeOverhead bounds what writeHead and sendBatch put around the
// items, beside the MessageID echoed in RelatesTo.
const envelopeOverhead = 1024

func (s *Server) writeHead(b *bytes.Buffer, req *request, action string) {
	fmt.Fprintf(b, `<s:Envelope xml:lang="en-US" xmlns:s="%s" xmlns:a="%s" xmlns:n="%s" xmlns:w="%s">`+
		`<s:Header><a:Action>%s/%s</a:Action><a:MessageID>%s</a:MessageID><a:To>%s</a:To>`,
		nsSOAP, nsAddressing, nsEnumeration, nsWSMan, "http://schemas.xmlsoap.org/ws/2004/09/enumeration", action, newMessageID(), addrAnonymous)
	if req.messageID != "" {
		fmt.Fprintf(b, "<a:RelatesTo>%s</a:RelatesTo>", escapeText(req.messageID))
	}
	b.WriteString("</s:Header>")
}

// sendBatch writes an EnumerateResponse or PullResponse. itemsNS is the
// namespace of Items and EndOfSequence: wsman in an optimized
// EnumerateResponse, enumeration in a PullResponse.
func (s *Server) sendBatch(w http.ResponseWriter, r *http.Request, req *request, action, id string, items [][]byte, end bool, itemsNS string) {
	var b bytes.Buffer
	s.writeHead(&b, req, action)
	fmt.Fprintf(&b, "<s:Body><n:%s>", action)
	// An EnumerateResponse always has a context, empty once the
	// enumeration is over; a PullResponse that ends has none.
	if id != "" || action == "EnumerateResponse" {
		fmt.Fprintf(&b, "<n:EnumerationContext>%s</n:EnumerationContext>", id)
	}
	p := "n"
	if itemsNS == nsWSMan {
		p = "w"
	}
	if items != nil || end {
		fmt.Fprintf(&b, "<%s:Items>", p)
		for _, it := range items {
			b.Write(it)
		}
		fmt.Fprintf(&b, "</%s:Items>", p)
	}
	if end {
		fmt.Fprintf(&b, "<%s:EndOfSequence/>", p)
	}
	fmt.Fprintf(&b, "</n:%s></s:Body></s:Envelope>", action)
	writeSOAP(w, http.StatusOK, b.Bytes())
	s.logRequest(r, "%s -> 200 %d items end=%v", req.action, len(items), end)
}

// openContext stores ec under a new id, unless the host has too many open.
func (s *Server) openContext(ec *enumContext) (string, bool) {
	now := s.clock()
	s.enum.mu.Lock()
	defer s.enum.mu.Unlock()
	if s.enum.ctxs == nil {
		s.enum.ctxs = map[string]*enumContext{}
	}
	max := s.enumMax
	if max <= 0 {
		max = DefaultMaxEnumerations
	}
	if len(s.enum.ctxs) >= max {
		for id, c := range s.enum.ctxs {
			if now.Sub(c.lastUsed) > s.enumTimeout() {
				delete(s.enum.ctxs, id)
			}
		}
		if len(s.enum.ctxs) >= max {
			return "", false
		}
	}
	id := newMessageID()
	ec.lastUsed = now
	s.enum.ctxs[id] = ec
	return id, true
}

// takeContext removes and returns a live context; nil when it is unknown
// or expired.
func (s *Server) takeContext(id string) *enumContext {
	s.enum.mu.Lock()
	defer s.enum.mu.Unlock()
	ec := s.enum.ctxs[id]
	if ec == nil {
		return nil
	}
	delete(s.enum.ctxs, id)
	if s.clock().Sub(ec.lastUsed) > s.enumTimeout() {
		return nil
	}
	return ec
}

func (s *Server) putContext(id string, ec *enumContext) {
	s.enum.mu.Lock()
	defer s.enum.mu.Unlock()
	ec.lastUsed = s.clock()
	s.enum.ctxs[id] = ec
}

// OpenEnumerations counts the host's enumeration contexts still held
// (expired ones included until they are swept or touched).
func (s *Server) OpenEnumerations() int {
	s.enum.mu.Lock()
	defer s.enum.mu.Unlock()
	return len(s.enum.ctxs)
}

func (s *Server) clock() time.Time {
	if s.now != nil {
		return s.now()
	}
	return time.Now()
}

// hasClass reports whether the namespace has the class (an instance of it
// or of a subclass) and returns its spelling on the host.
func (s *Server) hasClass(ns, class string) (string, bool) {
	for _, in := range s.samples(ns) {
		for c := in.class; c != ""; c = superclass[strings.ToLower(c)] {
			if strings.EqualFold(c, class) {
				return c, true
			}
		}
	}
	return "", false
}

// knowsFields reports whether every property a query names exists on the
// class: WMI refuses a query naming an unknown property.
func (s *Server) knowsFields(ns, class string, fields []string) bool {
	if len(fields) == 0 {
		return true
	}
	known := map[string]bool{"__class": true}
	for _, in := range s.samples(ns) {
		if strings.EqualFold(in.class, class) || isA(class, in.class) || isA(in.class, class) {
			for _, p := range in.props {
				known[strings.ToLower(p.name)] = true
			}
		}
	}
	for _, f := range fields {
		if !known[strings.ToLower(f)] {
			return false
		}
	}
	return true
}

// samples lists instances of every class the namespace holds: all of a
// scenario's, the first few of generated jobs (which show every class).
func (s *Server) samples(ns string) []*instance {
	if s.gen != nil {
		return s.gen.samples(ns)
	}
	return s.instances(ns)
}

// instances lists the host's instances in a namespace.
func (s *Server) instances(ns string) []*instance {
	if s.gen != nil {
		return s.gen.instances(ns)
	}
	var out []*instance
	for _, in := range s.static {
		if strings.EqualFold(in.ns, ns) {
			out = append(out, in)
		}
	}
	return out
}

func textOf(el *etree.Element) string {
	if el == nil {
		return ""
	}
	return el.Text()
}
