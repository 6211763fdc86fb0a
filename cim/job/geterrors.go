package job

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/beevik/etree"
	"github.com/cimjob/cimjob/cim"
	"github.com/cimjob/cimjob/wsman"
)

// Options shape GetErrors.
type Options struct {
	// Method picks the error method: MethodAuto (the zero value) for the
	// profile's preference, with fallback, or one method to call only it.
	Method Method
	// SkipJob leaves out the WS-Transfer Get of the job's own properties.
	SkipJob bool
}

// GetErrors reads the job (unless opt.SkipJob), calls its error method and
// decodes the errors it returns. A job that failed is not an error here:
// see Result.Err. The error is for anything that kept an answer from
// arriving or being understood.
//
// A job not found is a *NotFoundError that says where else the host holds
// a job by that InstanceID, when one Get per candidate finds it. For an
// InstanceID given as {GUID} that the host knows only without braces,
// GetErrors asks again with the bare GUID and says so in Result.Notes.
func GetErrors(ctx context.Context, c *wsman.Client, ref Ref, opt Options) (*Result, error) {
	res, err := getErrors(ctx, c, ref, opt)
	var nf *NotFoundError
	if errors.As(err, &nf) && len(nf.Elsewhere) == 1 {
		if at := nf.Elsewhere[0]; sameClass(at.Profile, ref.Profile) {
			res, err = getErrors(ctx, c, at, opt)
			if err == nil {
				res.Notes = append([]string{fmt.Sprintf("the host has no job %s; it knows %s, without braces", ref.InstanceID, at.InstanceID)}, res.Notes...)
			}
		}
	}
	return res, err
}

func getErrors(ctx context.Context, c *wsman.Client, ref Ref, opt Options) (*Result, error) {
	if ref.InstanceID == "" {
		return nil, errors.New("job: no InstanceID given")
	}
	if !opt.Method.valid() {
		return nil, fmt.Errorf("job: unknown method %v", opt.Method)
	}
	methods := methodsFor(ref.Profile, opt.Method)
	uri := ref.Profile.ResourceURI()
	sel := []wsman.Selector{{Name: "InstanceID", Value: ref.InstanceID}}
	res := &Result{Ref: ref}

	if !opt.SkipJob {
		inst, err := c.Get(ctx, uri, sel...)
		if f, ok := notFound(err); ok {
			return nil, &NotFoundError{Ref: ref, Fault: f, Elsewhere: lookElsewhere(ctx, c, ref)}
		}
		if err != nil {
			return nil, fmt.Errorf("reading job %s: %w", ref.InstanceID, err)
		}
		res.Job = newProperties(ref.Profile, inst)
	}

	for i, m := range methods {
		r := wsman.NewInvoke(uri, m.String(), sel, nil)
		// GetError and GetErrorEx only read the job: a call that may have
		// reached the host can be sent again.
		r.Idempotent = true
		out, err := c.InvokeRequest(ctx, r)
		var f *wsman.Fault
		if err != nil && i+1 < len(methods) && errors.As(err, &f) && MethodMissing(f) {
			res.Notes = append(res.Notes, fmt.Sprintf("the host has no %s.%s; asked %s instead", ref.Profile.Class, m, methods[i+1]))
			continue
		}
		if f, ok := notFound(err); ok {
			return nil, &NotFoundError{Ref: ref, Fault: f, Elsewhere: lookElsewhere(ctx, c, ref)}
		}
		if err != nil {
			return nil, fmt.Errorf("calling %s.%s: %w", ref.Profile.Class, m, err)
		}
		res.Method = m
		if err := decodeOutput(ctx, res, out, c.Limits); err != nil {
			return nil, fmt.Errorf("decoding %s output: %w", m, err)
		}
		return res, nil
	}
	// Unreachable: methodsFor never returns an empty list.
	return nil, errors.New("job: no error method to call")
}

func methodsFor(p Profile, m Method) []Method {
	if m != MethodAuto {
		return []Method{m}
	}
	if len(p.Methods) == 0 {
		return []Method{MethodGetError}
	}
	return p.Methods
}

// MethodMissing reports whether a fault says the class has no such method,
// as an older host answers GetErrorEx.
func MethodMissing(f *wsman.Fault) bool {
	if f == nil {
		return false
	}
	switch f.Subcode.Local {
	case "ActionNotSupported":
		return true
	}
	if f.CIMError != nil && f.CIMError.CIMStatusCode != nil {
		switch f.CIMError.CIMStatusCode.Value {
		case 16, 17: // CIM_ERR_METHOD_NOT_AVAILABLE, CIM_ERR_METHOD_NOT_FOUND
			return true
		}
	}
	return false
}

// decodeOutput reads ReturnValue and the Error/Errors parameters, in
// whichever shape they come: CIM-XML text (Hyper-V) or a nested WS-CIM
// element (embedded object). The CIM-XML strings share one budget, so a
// reply of many strings costs no more than the limits allow one reply,
// and ctx is looked at between them, so that decoding stops with the
// call's deadline.
func decodeOutput(ctx context.Context, res *Result, out *wsman.Output, lim cim.Limits) error {
	rv, err := out.ReturnValue()
	if err != nil {
		return err
	}
	res.ReturnValue = res.Ref.Profile.ReturnMaps[res.Method].Lookup(uint64(rv))
	params := out.Params("Errors")
	if len(params) == 0 {
		params = out.Params("Error")
	}
	budget := cim.NewBudget(lim)
	for _, el := range params {
		if err := ctx.Err(); err != nil {
			return err
		}
		inst, err := decodeErrorParam(el, out.Namespaces(), lim, budget)
		if err != nil {
			return err
		}
		if inst == nil {
			continue
		}
		ce, err := cim.NewError(inst)
		if err != nil {
			return err
		}
		res.Errors = append(res.Errors, ce)
	}
	return nil
}

// decodeErrorParam returns nil for a NULL or empty parameter. ns holds
// the reply's namespaces, resolved once for every parameter.
func decodeErrorParam(el *etree.Element, ns *cim.Namespaces, lim cim.Limits, budget *cim.Budget) (*cim.Instance, error) {
	if ns.IsNil(el) {
		return nil, nil
	}
	if len(el.ChildElements()) > 0 {
		return cim.ParseWSCIMWith(el, ns, lim)
	}
	text := strings.TrimSpace(el.Text())
	if text == "" {
		return nil, nil
	}
	return budget.ParseCIMXML([]byte(text))
}
