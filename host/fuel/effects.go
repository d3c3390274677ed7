package fuel

// EffectsSection is the name of the custom section the instrumenter
// appends to every artifact: what the module's code can change besides
// linear memory and globals (Effects). A section of that name in the
// input is dropped, so a module cannot vouch for itself.
const EffectsSection = "nexus_fuel.effects"

// Effects is what a module's code can change besides linear memory and
// globals, as the instrumenter saw while rewriting every instruction.
type Effects struct {
	// WritesTables: the code contains table.set, table.grow, table.fill,
	// table.copy, table.init or elem.drop, the only instructions that
	// change a table or an element segment after instantiation. Without
	// them the tables and element segments stay as instantiation left
	// them.
	WritesTables bool
}

// effectWritesTables is Effects.WritesTables's bit in the section.
const effectWritesTables = 1

func (ins *instrumenter) effects() Effects { return Effects{WritesTables: ins.writesTables} }

func (e Effects) encode() []byte {
	var b byte
	if e.WritesTables {
		b |= effectWritesTables
	}
	return []byte{b}
}

// ReadEffects returns the Effects an artifact's EffectsSection records,
// and false if it has none (an artifact of an older instrumenter, or not
// an artifact) or the binary's framing is broken. Only the framing of
// sections is read.
func ReadEffects(artifact []byte) (Effects, bool) {
	if len(artifact) < len(wasmHeader) || string(artifact[:len(wasmHeader)]) != string(wasmHeader) {
		return Effects{}, false
	}
	r := &reader{b: artifact, pos: len(wasmHeader)}
	var found []byte
	for !r.eof() {
		id, err := r.byte()
		if err != nil {
			return Effects{}, false
		}
		size, err := r.u32()
		if err != nil {
			return Effects{}, false
		}
		body, err := r.bytes(size)
		if err != nil {
			return Effects{}, false
		}
		if id != secCustom {
			continue
		}
		br := &reader{b: body}
		name, err := br.name()
		if err == nil && string(name) == EffectsSection {
			found = body[br.pos:]
		}
	}
	if len(found) != 1 {
		return Effects{}, false
	}
	return Effects{WritesTables: found[0]&effectWritesTables != 0}, true
}
