package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// node is decoded JSON with path helpers that record the first missing
// key, so a change in the reference layout fails generation loudly.
type node struct {
	v    any
	path string
}

func loadJSON(dir, file string) (node, error) {
	data, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		return node{}, err
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return node{}, fmt.Errorf("%s: %w", file, err)
	}
	return node{v: v, path: file}, nil
}

// get follows keys through nested objects.
func (n node) get(keys ...string) (node, error) {
	cur := n
	for _, k := range keys {
		m, ok := cur.v.(map[string]any)
		if !ok {
			return node{}, fmt.Errorf("%s is not an object", cur.path)
		}
		v, ok := m[k]
		if !ok {
			return node{}, fmt.Errorf("%s has no key %q", cur.path, k)
		}
		cur = node{v: v, path: cur.path + "." + k}
	}
	return cur, nil
}

// has reports whether the keys lead somewhere non-null.
func (n node) has(keys ...string) bool {
	c, err := n.get(keys...)
	return err == nil && c.v != nil
}

func (n node) str(keys ...string) (string, error) {
	c, err := n.get(keys...)
	if err != nil {
		return "", err
	}
	s, ok := c.v.(string)
	if !ok {
		return "", fmt.Errorf("%s is not a string", c.path)
	}
	return s, nil
}

// strings returns an object of strings as a Go map.
func (n node) strings(keys ...string) (map[string]string, error) {
	c, err := n.get(keys...)
	if err != nil {
		return nil, err
	}
	m, ok := c.v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s is not an object", c.path)
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		s, ok := v.(string)
		if !ok {
			continue // "_note" style annotations may be other types
		}
		out[k] = s
	}
	return out, nil
}

// list returns an array of objects.
func (n node) list(keys ...string) ([]node, error) {
	c, err := n.get(keys...)
	if err != nil {
		return nil, err
	}
	a, ok := c.v.([]any)
	if !ok {
		return nil, fmt.Errorf("%s is not an array", c.path)
	}
	out := make([]node, len(a))
	for i, v := range a {
		out[i] = node{v: v, path: fmt.Sprintf("%s[%d]", c.path, i)}
	}
	return out, nil
}
