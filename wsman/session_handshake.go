package wsman

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/cimjob/cimjob/internal/msgenc"
)

// maxHandshakeLegs bounds the round trips of one handshake (NTLM takes 2,
// Kerberos 1 or 2).
const maxHandshakeLegs = 4

// sealOverhead is room for the multipart framing around a sealed reply of
// MaxBodySize bytes.
const sealOverhead = 4 << 10

// handshake establishes the security context of a fresh connection. Over
// plain HTTP its legs carry no body, as pywinrm sends them, and the
// envelope follows sealed; over HTTPS every leg carries the envelope (as
// requests_ntlm and Windows clients send it) and the last leg's reply is
// the reply to it. sent reports whether the envelope was written on a leg
// the service may have accepted. A leg answered neither 401 nor 2xx ends
// the handshake with an *HTTPError (see legStatus), or over HTTPS as the
// reply to the envelope.
func (t *SessionTransport) handshake(ctx context.Context, c *sessConn, envelope []byte) (x exchangeResult, sent bool, err error) {
	scheme := t.auth.Scheme()
	fail := func(cause error) error { return &AuthError{URL: t.urlStr, Scheme: scheme, Err: cause} }
	mech, err := t.mechanism(ctx)
	if err != nil {
		return x, false, setupFailure(t.urlStr, scheme, err)
	}
	sec, err := mech(ctx, t.url.Hostname(), c.bindings)
	if err != nil {
		// A service ticket: the KDC may be unreachable as well as refuse.
		return x, false, setupFailure(t.urlStr, scheme, err)
	}
	var body []byte
	if !t.seal {
		body = envelope
	}
	var in []byte
	for leg := 0; leg < maxHandshakeLegs; leg++ {
		out, done, err := sec.Step(in)
		if err != nil {
			return x, sent, fail(err)
		}
		h := t.header(soapContentType)
		if len(out) > 0 {
			h.Set("Authorization", sec.Scheme()+" "+base64.StdEncoding.EncodeToString(out))
		}
		n := t.logRequest(h, body, nil)
		x, err = c.exchange(ctx, t.url, h, body, t.cfg.MaxBodySize)
		// A leg answered 401 or busy was not run; one written and not
		// answered, or answered otherwise, may have been.
		sent = x.wrote && body != nil && (err != nil || !notRun(x.resp.StatusCode))
		if err != nil {
			t.logFailure(n, err)
			return x, sent, err
		}
		t.logReply(n, x.resp, x.body, false)
		if err := t.legStatus(x); err != nil {
			// Not a challenge, and no reply to the envelope either.
			return x, sent, err
		}
		token, terr := challengeToken(x.resp.Header, sec.Scheme())
		if terr != nil {
			return x, sent, fail(terr)
		}
		if x.resp.StatusCode == http.StatusUnauthorized {
			if done || token == nil {
				return x, sent, &AuthError{URL: t.urlStr, Scheme: scheme, Offered: sanitizeChallenges(x.resp.Header.Values("WWW-Authenticate"))}
			}
			in = token
			continue
		}
		if !done && token != nil {
			// Mutual authentication: the service's last token rides on
			// its reply (a Kerberos AP-REP).
			if _, done, err = sec.Step(token); err != nil {
				return x, sent, fail(err)
			}
		}
		if !done {
			if x.resp.StatusCode/100 != 2 {
				// Over HTTPS (legStatus let it through): the service's
				// answer to the envelope, which try reports as such; the
				// connection has no context to keep.
				x.reusable = false
				return x, sent, nil
			}
			return x, sent, fail(fmt.Errorf("the service answered HTTP %d before the handshake finished", x.resp.StatusCode))
		}
		c.sec = sec
		if t.seal {
			if !x.reusable {
				return x, sent, errors.New("the service closed the connection after the handshake")
			}
			x = exchangeResult{}
		}
		return x, sent, nil
	}
	return x, sent, fail(fmt.Errorf("no result after %d legs", maxHandshakeLegs))
}

// notRun reports whether a reply with status says the request was not
// run: a challenge or refusal (401) or the service being busy (503, 429).
func notRun(status int) bool {
	return status == http.StatusUnauthorized || isBusy(status)
}

// isBusy reports whether status asks the client to come back later.
func isBusy(status int) bool {
	return status == http.StatusServiceUnavailable || status == http.StatusTooManyRequests
}

// legStatus returns the error for a handshake leg answered with neither a
// challenge (401) nor success: an *HTTPError, the status kept. Over HTTPS
// a status other than busy is let through (nil): the envelope rode on the
// leg, so the reply answers it, a SOAP fault included. Over plain HTTP no
// envelope rode on the leg and the reply is unsealed, so its body is never
// read as SOAP.
func (t *SessionTransport) legStatus(x exchangeResult) error {
	status := x.resp.StatusCode
	switch {
	case status == http.StatusUnauthorized, status/100 == 2:
		return nil
	case !t.seal && !isBusy(status):
		return nil
	}
	he := &HTTPError{URL: t.urlStr, StatusCode: status, Status: x.resp.Status, ContentType: x.resp.Header.Get("Content-Type"), Snippet: snippet(x.body)}
	if !t.seal && isXMLContent(he.ContentType, x.body) {
		he.Body = x.body
	}
	return he
}

// send writes the envelope on an established connection: sealed over
// plain HTTP, as it is over HTTPS. A sealed reply is unsealed; an unsealed
// SOAP reply where a sealed one was due is refused.
func (t *SessionTransport) send(ctx context.Context, c *sessConn, envelope []byte) (exchangeResult, error) {
	if !t.seal {
		h := t.header(soapContentType)
		n := t.logRequest(h, envelope, nil)
		x, err := c.exchange(ctx, t.url, h, envelope, t.cfg.MaxBodySize)
		if err != nil {
			t.logFailure(n, err)
			return x, err
		}
		t.logReply(n, x.resp, x.body, false)
		return x, nil
	}
	protocol := c.sec.Protocol()
	sealed, err := msgenc.Encode(c.sec, protocol, envelope)
	if err != nil {
		// Never fall back to sending it in the clear.
		return exchangeResult{}, &AuthError{URL: t.urlStr, Scheme: t.auth.Scheme(), Err: err}
	}
	h := t.header(msgenc.ContentType(protocol))
	n := t.logRequest(h, envelope, sealed)
	x, err := c.exchange(ctx, t.url, h, sealed, t.cfg.MaxBodySize+sealOverhead)
	err = withLimit(err, t.cfg.MaxBodySize) // the cap as configured, not with the room for sealing
	if err != nil {
		t.logFailure(n, err)
		return x, err
	}
	plain, err := t.unseal(c, x)
	if err != nil {
		x.reusable = false
		t.logFailure(n, err)
		return x, err
	}
	shown := x.body
	if plain != nil {
		shown = plain
	}
	t.logReply(n, x.resp, shown, plain != nil)
	if plain != nil {
		x.body, x.unsealed = plain, true
		x.resp.Header.Set("Content-Type", msgenc.OriginalType)
	}
	return x, nil
}

// unseal returns the plaintext of a sealed reply, nil for an unsealed one
// that is acceptable (an HTTP-level error or a 401, which the caller
// reports as such), and an error for an unsealed or broken SOAP reply.
func (t *SessionTransport) unseal(c *sessConn, x exchangeResult) ([]byte, error) {
	ct := x.resp.Header.Get("Content-Type")
	if _, err := msgenc.ParseContentType(ct); err != nil {
		switch x.resp.StatusCode {
		case http.StatusOK, http.StatusInternalServerError:
			return nil, &ResponseError{Reason: fmt.Sprintf("HTTP %d reply is not sealed (Content-Type %q) although the request was", x.resp.StatusCode, ct)}
		}
		// An HTTP-level error or refusal: reported by its status, its body
		// never trusted as SOAP.
		return nil, nil
	}
	plain, err := msgenc.Decode(c.sec, ct, x.body, int(t.cfg.MaxBodySize))
	if err != nil {
		return nil, &ResponseError{Reason: "sealed reply does not unseal", Err: err}
	}
	return plain, nil
}

// header starts the headers of a request.
func (t *SessionTransport) header(contentType string) http.Header {
	return http.Header{
		"Content-Type": {contentType},
		"User-Agent":   {t.cfg.UserAgent},
	}
}

// challengeToken finds the token of scheme in WWW-Authenticate; nil when
// the scheme comes without one.
func challengeToken(h http.Header, scheme string) ([]byte, error) {
	for _, v := range h.Values("WWW-Authenticate") {
		for _, piece := range strings.Split(v, ",") {
			name, token, _ := strings.Cut(strings.TrimSpace(piece), " ")
			token = strings.TrimSpace(token)
			if !strings.EqualFold(name, scheme) || token == "" || strings.Contains(token, "=\"") {
				continue
			}
			b, err := base64.StdEncoding.DecodeString(token)
			if err != nil {
				b, err = base64.RawStdEncoding.DecodeString(token)
			}
			if err != nil {
				return nil, fmt.Errorf("the service's %s token is not base64", scheme)
			}
			return b, nil
		}
	}
	return nil, nil
}
