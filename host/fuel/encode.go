package fuel

// run rewrites the code, then encodes every section in the original order,
// adding the sections the rewriting needs when the input has none.
func (ins *instrumenter) run() ([]byte, error) {
	numBodies, bodies, err := ins.rewriteCode()
	if err != nil {
		return nil, err
	}
	code := appendU32(make([]byte, 0, len(bodies)+len(ins.helpers)*64+8), numBodies+uint32(len(ins.helpers)))
	code = append(code, bodies...)
	for _, k := range ins.helpers {
		hb := ins.helperBody(k)
		code = appendU32(code, uint32(len(hb)))
		code = append(code, hb...)
	}

	// Payloads of sections other than code, built before any is written so
	// the type section sees every added type.
	var payloads [secTag + 1][]byte
	builders := []struct {
		id byte
		fn func() ([]byte, error)
	}{
		{secImport, ins.importSection},
		{secFunction, ins.functionSection},
		{secGlobal, ins.globalSection},
		{secExport, ins.exportSection},
		{secStart, ins.startSection},
		{secElement, ins.elementSection},
		{secData, ins.dataSection},
		{secType, ins.typeSection}, // last: helpers add types
	}
	for _, b := range builders {
		if ins.byID[b.id] == 0 && !ins.added(b.id) {
			continue
		}
		if payloads[b.id], err = b.fn(); err != nil {
			return nil, err
		}
	}
	payloads[secCode] = code

	out := make([]byte, 0, len(ins.in)+len(code)-len(bodies)+len(ins.in)/3+512)
	out = append(out, wasmHeader...)
	var written [secTag + 1]bool
	writeUpTo := func(rank int) {
		for id := byte(1); id <= secTag; id++ {
			if !written[id] && ins.byID[id] == 0 && ins.added(id) && sectionRank[id] < rank {
				out = appendSection(out, id, payloads[id])
				written[id] = true
			}
		}
	}
	for _, s := range ins.sections {
		if s.id == secCustom {
			if isDebugSection(s.name) || s.name == EffectsSection {
				continue
			}
			payload := ins.in[s.start:s.end]
			if s.name == "name" {
				var ok bool
				if payload, ok = ins.nameSection(s); !ok {
					continue
				}
			}
			out = appendCustom(out, s.name, payload)
			continue
		}
		writeUpTo(sectionRank[s.id])
		if payloads[s.id] == nil {
			out = appendSection(out, s.id, ins.in[s.start:s.end])
		} else {
			out = appendSection(out, s.id, payloads[s.id])
		}
		written[s.id] = true
	}
	writeUpTo(1 << 30)
	return appendCustom(out, EffectsSection, ins.effects().encode()), nil
}

// added reports whether the rewriting needs section id even if the input
// has none.
func (ins *instrumenter) added(id byte) bool {
	switch id {
	case secType, secImport, secGlobal, secExport:
		return true
	case secFunction, secCode:
		return len(ins.helpers) > 0
	}
	return false
}

func appendSection(b []byte, id byte, payload []byte) []byte {
	b = append(b, id)
	b = appendU32(b, uint32(len(payload)))
	return append(b, payload...)
}

func appendCustom(b []byte, name string, payload []byte) []byte {
	b = append(b, secCustom)
	b = appendU32(b, uint32(len(name)+len(payload)+len(appendU32(nil, uint32(len(name))))))
	b = appendName(b, name)
	return append(b, payload...)
}
