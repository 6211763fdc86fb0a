package cim

// ParseCIMXML decodes one DSP0201 CIM-XML <INSTANCE> (optionally wrapped in
// VALUE.NAMEDINSTANCE, VALUE.OBJECT, or a full <CIM><MESSAGE>... document is
// NOT required) from data, as Hyper-V returns it in GetError/GetErrorEx.
// It rejects DTDs and entity declarations and any input beyond lim.
func ParseCIMXML(data []byte, lim Limits) (*Instance, error) {
	panic("unimplemented: owned by the cim helper")
}
