package imaging

// GIF header parsing (GIF89a spec §17-§23) up to the first image descriptor.

func probeGIF(p *probeReader, info *Info) error {
	var b [13]byte // header + logical screen descriptor
	if err := p.full(b[:], "logical screen descriptor"); err != nil {
		return err
	}
	w, h := int(b[6])|int(b[7])<<8, int(b[8])|int(b[9])<<8
	if w == 0 || h == 0 {
		return p.bad("zero logical screen size")
	}
	info.Width, info.Height = w, h
	info.ColorModel = ModelPaletted
	if b[10]&0x80 != 0 { // global colour table
		if err := p.skip(3<<(1+b[10]&7), "global colour table"); err != nil {
			return err
		}
	}
	for {
		c, err := p.byte("block")
		if err != nil {
			return err
		}
		switch c {
		case 0x2c: // image descriptor: the first frame starts here
			var d [9]byte
			if err := p.full(d[:], "image descriptor"); err != nil {
				return err
			}
			return nil
		case 0x21: // extension
			label, err := p.byte("extension")
			if err != nil {
				return err
			}
			first := true
			for {
				n, err := p.byte("sub-block")
				if err != nil {
					return err
				}
				if n == 0 {
					break
				}
				blk := make([]byte, n)
				if err := p.full(blk, "sub-block"); err != nil {
					return err
				}
				if first && label == 0xf9 && n >= 4 && blk[0]&1 != 0 {
					info.HasAlpha = true // graphic control: transparent colour flag
				}
				if first && label == 0xff && n == 11 && (string(blk) == "NETSCAPE2.0" || string(blk) == "ANIMEXTS1.0") {
					info.Animated = true
				}
				first = false
			}
		case 0x3b:
			return p.bad("no image before trailer")
		default:
			return p.bad("unknown block type")
		}
	}
}
