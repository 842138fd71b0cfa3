package samtemplate

// globalsTypes maps a SAM Globals section to the resource type it applies to.
var globalsTypes = map[string]string{
	"Function":     "AWS::Serverless::Function",
	"Api":          "AWS::Serverless::Api",
	"HttpApi":      "AWS::Serverless::HttpApi",
	"SimpleTable":  "AWS::Serverless::SimpleTable",
	"StateMachine": "AWS::Serverless::StateMachine",
	"LayerVersion": "AWS::Serverless::LayerVersion",
}

// mergeGlobals merges the Globals section into the Properties of each matching resource the
// way the SAM transform does: maps merge key by key, lists are the global items followed by the
// resource's, and any other value set on the resource wins. Globals is then removed.
func mergeGlobals(tmpl map[string]any) {
	globals := asMap(tmpl["Globals"])
	delete(tmpl, "Globals")
	if len(globals) == 0 {
		return
	}
	for _, v := range asMap(tmpl["Resources"]) {
		res := asMap(v)
		if res == nil {
			continue
		}
		for section, typ := range globalsTypes {
			g := asMap(globals[section])
			if g == nil || res["Type"] != typ {
				continue
			}
			props := asMap(res["Properties"])
			if props == nil {
				props = map[string]any{}
			}
			res["Properties"] = mergeValue(g, props)
		}
	}
}

func mergeValue(global, local any) any {
	gm, gIsMap := global.(map[string]any)
	lm, lIsMap := local.(map[string]any)
	if gIsMap && lIsMap && !isIntrinsic(gm) && !isIntrinsic(lm) {
		out := map[string]any{}
		for k, v := range gm {
			out[k] = v
		}
		for k, v := range lm {
			if gv, ok := gm[k]; ok {
				out[k] = mergeValue(gv, v)
			} else {
				out[k] = v
			}
		}
		return out
	}
	gs, gIsList := global.([]any)
	ls, lIsList := local.([]any)
	if gIsList && lIsList {
		return append(append([]any{}, gs...), ls...)
	}
	return local
}

// isIntrinsic reports whether m is a one-key intrinsic function object such as {"Ref": "X"}.
func isIntrinsic(m map[string]any) bool {
	if len(m) != 1 {
		return false
	}
	for k := range m {
		if k == "Ref" || k == "Condition" {
			return true
		}
		if len(k) > 4 && k[:4] == "Fn::" {
			return true
		}
	}
	return false
}
