package cim

import (
	"fmt"
	"strconv"
	"strings"
)

// Text returns the lexical form of a scalar property. A nil (absent) or
// NULL property gives ErrNull; an array gives its first element.
func (p *Property) Text() (string, error) {
	v, err := p.scalar()
	if err != nil {
		return "", err
	}
	return v.Text, nil
}

// Uint returns a scalar property as an unsigned integer, read as decimal
// text after trimming white space (CIM-XML and WS-CIM both send numbers as
// text). It gives ErrNull for a nil or NULL property.
func (p *Property) Uint() (uint64, error) {
	v, err := p.scalar()
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseUint(strings.TrimSpace(v.Text), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("cim: property %s: %w", p.Name, err)
	}
	return n, nil
}

// Int returns a scalar property as a signed integer (decimal text).
func (p *Property) Int() (int64, error) {
	v, err := p.scalar()
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v.Text), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("cim: property %s: %w", p.Name, err)
	}
	return n, nil
}

// Bool returns a scalar boolean property ("true"/"false", any case, or
// "1"/"0").
func (p *Property) Bool() (bool, error) {
	v, err := p.scalar()
	if err != nil {
		return false, err
	}
	b, err := strconv.ParseBool(strings.ToLower(strings.TrimSpace(v.Text)))
	if err != nil {
		return false, fmt.Errorf("cim: property %s: %w", p.Name, err)
	}
	return b, nil
}

// Texts returns the lexical forms of every value of a property: the
// elements of an array (NULL elements as ""), or the one value of a
// scalar. It gives ErrNull for a nil or NULL property.
func (p *Property) Texts() ([]string, error) {
	if p == nil || p.Null {
		return nil, ErrNull
	}
	out := make([]string, len(p.Values))
	for i, v := range p.Values {
		out[i] = v.Text
	}
	return out, nil
}

// Uints returns every value of a property as unsigned integers (for
// OperationalStatus and similar arrays). NULL elements are an error.
func (p *Property) Uints() ([]uint64, error) {
	if p == nil || p.Null {
		return nil, ErrNull
	}
	out := make([]uint64, 0, len(p.Values))
	for i, v := range p.Values {
		if v.Null {
			return nil, fmt.Errorf("cim: property %s element %d: %w", p.Name, i, ErrNull)
		}
		n, err := strconv.ParseUint(strings.TrimSpace(v.Text), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("cim: property %s element %d: %w", p.Name, i, err)
		}
		out = append(out, n)
	}
	return out, nil
}

// scalar returns the value of a non-NULL property, or of the first element
// of an array.
func (p *Property) scalar() (*Value, error) {
	if p == nil || p.Null || len(p.Values) == 0 || p.Values[0].Null {
		return nil, ErrNull
	}
	return &p.Values[0], nil
}
