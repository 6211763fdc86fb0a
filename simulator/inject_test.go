package simulator

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
)

func hostileVars(n string) vars {
	return defaultVars().with("$ID", "BAD0BAD0-0000-4000-8000-0000000000"+n)
}

// Each misbehaviour breaks the exchange the way its name says, and the
// server stays usable afterwards. Every wait is bounded by a context.
func TestMisbehaviours(t *testing.T) {
	s, url := startSim(t, "hostile.json")
	req := func(n string) []byte { return loadRequest(t, "invoke.xml", hostileVars(n)) }

	t.Run("hang", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		resp, err := send(ctx, url, req("01"))
		if err == nil {
			resp.Body.Close()
			t.Fatalf("got a reply: %d", resp.StatusCode)
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("error %v, want the context deadline", err)
		}
	})
	t.Run("truncate", func(t *testing.T) {
		resp, err := send(context.Background(), url, req("02"))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("read error %v, want unexpected EOF", err)
		}
		if resp.ContentLength <= int64(len(data)) || len(data) == 0 {
			t.Errorf("got %d of %d bytes", len(data), resp.ContentLength)
		}
	})
	t.Run("huge", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		resp, err := send(ctx, url, req("03"))
		if err != nil {
			t.Fatal(err)
		}
		head := make([]byte, 1<<20)
		n, err := io.ReadFull(resp.Body, head)
		resp.Body.Close() // the server must notice and stop streaming
		if err != nil || n != len(head) {
			t.Fatalf("read %d bytes: %v", n, err)
		}
		if !bytes.HasPrefix(head, []byte("<s:Envelope")) || !bytes.Contains(head, []byte("&lt;PROPERTY NAME=\"Pad\"")) {
			t.Errorf("does not look like a reply: %.200q", head)
		}
	})
	t.Run("entity-bomb", func(t *testing.T) {
		ex := post(t, url, req("04"))
		if ex.status != 200 || !bytes.Contains(ex.body, []byte("<!DOCTYPE")) || !bytes.Contains(ex.body, []byte("<!ENTITY lol9")) || len(ex.body) > 4096 {
			t.Errorf("status %d, %d bytes:\n%s", ex.status, len(ex.body), ex.body)
		}
	})
	t.Run("drop", func(t *testing.T) {
		resp, err := send(context.Background(), url, req("05"))
		if err == nil {
			resp.Body.Close()
			t.Fatalf("got a reply: %d", resp.StatusCode)
		}
	})
	t.Run("malformed", func(t *testing.T) {
		ex := post(t, url, req("06"))
		if ex.status != 200 {
			t.Fatalf("status %d", ex.status)
		}
		if err := etree.NewDocument().ReadFromBytes(ex.body); err == nil {
			t.Errorf("reply is well-formed:\n%s", ex.body)
		}
	})
	t.Run("wrong-relatesto", func(t *testing.T) {
		ex := post(t, url, req("07"))
		r := parseReply(t, ex.body)
		if ex.status != 200 || r.relatesTo == testMID || !strings.HasPrefix(r.relatesTo, "uuid:") {
			t.Errorf("status %d, RelatesTo %q", ex.status, r.relatesTo)
		}
	})
	t.Run("http-503-then-ok", func(t *testing.T) {
		if ex := post(t, url, req("08")); ex.status != http.StatusServiceUnavailable || len(ex.body) != 0 {
			t.Fatalf("first: status %d", ex.status)
		}
		for i := 0; i < 2; i++ {
			ex := post(t, url, req("08"))
			if r := parseReply(t, ex.body); ex.status != 200 || r.relatesTo != testMID {
				t.Fatalf("try %d: status %d RelatesTo %q", i+2, ex.status, r.relatesTo)
			}
		}
	})
	t.Run("attr-flood", func(t *testing.T) {
		ex := post(t, url, req("09"))
		if ex.status != 200 || len(ex.body) < 3<<20 || len(ex.body) > 8<<20 {
			t.Fatalf("status %d, %d bytes; want 200 and about 4 MB, under the client's 8 MiB cap", ex.status, len(ex.body))
		}
		doc := etree.NewDocument()
		if err := doc.ReadFromBytes(ex.body); err != nil {
			t.Fatalf("flood is not well-formed: %v", err)
		}
		env := doc.Root()
		last := env.Attr[len(env.Attr)-1]
		if len(env.Attr) < floodAttrs+2 || last.Space != "xmlns" || last.Key != "a" {
			t.Errorf("Envelope has %d attributes, the last %s:%s; want %d, then the header prefix", len(env.Attr), last.Space, last.Key, floodAttrs)
		}
		// Not parseReply: its etree lookups are the quadratic kind.
		if !bytes.Contains(ex.body, []byte("<a:RelatesTo>"+testMID+"</a:RelatesTo>")) {
			t.Errorf("no RelatesTo %s", testMID)
		}
	})
	t.Run("misbehaviour applies to Get too", func(t *testing.T) {
		ex := post(t, url, loadRequest(t, "get.xml", hostileVars("06").with("$ACTION", actionGet)))
		if err := etree.NewDocument().ReadFromBytes(ex.body); err == nil {
			t.Errorf("Get reply is well-formed")
		}
	})
	t.Run("still serving", func(t *testing.T) {
		ex := post(t, url, req("07"))
		if ex.status != 200 {
			t.Errorf("status %d", ex.status)
		}
	})
	if st := s.Stats(); st.Injected < 8 {
		t.Errorf("Injected %d", st.Injected)
	}
}

// Close releases a handler that hangs on purpose, so shutdown never waits
// for a client that waits forever.
func TestCloseReleasesHang(t *testing.T) {
	s, err := New(Options{Scenario: "hostile.json"})
	if err != nil {
		t.Fatal(err)
	}
	url, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		resp, err := send(ctx, url, loadRequest(t, "invoke.xml", hostileVars("01")))
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	// Wait until the request has reached the handler.
	for s.Stats().Injected == 0 {
		select {
		case <-ctx.Done():
			t.Fatal("request never arrived")
		case <-time.After(5 * time.Millisecond):
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err == nil || ctx.Err() != nil {
		t.Errorf("client error %v (context %v): Close did not end the exchange", err, ctx.Err())
	}
	if _, err := s.Start("127.0.0.1:0"); err == nil {
		t.Error("Start after Close succeeded")
	}
}
