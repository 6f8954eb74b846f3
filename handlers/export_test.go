package handlers

// DeskCommandNames lists the desk's commands, for the role table to cover every one.
func DeskCommandNames() []string {
	var out []string
	for name := range deskCommands {
		out = append(out, name)
	}
	return out
}
