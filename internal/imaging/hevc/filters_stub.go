package hevc

func (d *decoder) deblock()  {}
func (d *decoder) applySAO() {}
