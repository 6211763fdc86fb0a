package cim

// Steps reports how many attributes n read and scopes it walked, so that
// a test can check that resolving grows linearly with the input.
func (n *Namespaces) Steps() int { return int(n.steps.Load()) }
