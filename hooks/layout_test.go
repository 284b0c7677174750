package hooks_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// kernel is what every capability may import: it knows no capability.
var kernel = []string{"web", "schema", "practice", "letters", "outbox", "ratelimit"}

// namedExports are the only ways one capability reaches another: the
// importing package, the imported one, and the names it may use. A new
// edge belongs here, with its reason, or the capabilities are one.
var namedExports = map[[2]string][]string{
	{"clients", "signin"}:         {"SignIn", "LinkLetter", "Requester"},                                                         // invites mail a sign-in link
	{"intake", "signin"}:          {"SignIn", "LinkLetter", "Requester"},                                                         // a new form's mail signs the client in
	{"appointments", "join"}:      {"Links", "Prepare"},                                                                          // notices and the portal carry the join link
	{"reminders", "appointments"}: {"Appointments", "Notify", "Notice", "NoticeReminder", "Change", "ChangeNone", "ChangeMoved"}, // a reminder is an appointment notice
	{"pages", "signin"}:           {"LinkPath"},                                                                                  // the landing page of a sign-in link
	{"staff", "signin"}:           {"Store", "Requester", "StateUsed", "StateExpired"},                                           // staff invites are login tokens too
	{"intake", "staff"}:           {"RequirePacketReader"},                                                                       // who may print a packet is a staff role
	{"backup", "staff"}:           {"RoleOwner"},                                                                                 // the drill mails, and the home page shows, the copy to the owner
	{"workspace", "staff"}:        {"CanReadClient", "RoleOwner", "RoleClinician", "RoleFrontDesk"},                              // the workspace's pages follow the staff roles
	{"workspace", "clients"}:      {"Clients"},                                                                                   // the client page sends the portal invite
	{"audit", "video"}:            {"Service", "PresenceEvent", "RoleClinician"},                                                 // joins and leaves of a call are on the trail
	{"join", "video"}:             {"Calls", "Call", "Host", "Service", "ErrUnknownCall", "ErrNotHost"},                          // a join link opens its appointment's call
	{"messages", "signin"}:        {"SignIn", "LinkLetter", "Requester"},                                                         // a message notice signs the client in
	{"messages", "staff"}:         {"CanReadClient", "RoleOwner", "RoleClinician", "RoleFrontDesk"},                              // who reads a thread follows the staff roles
	{"workspace", "audit"}:        {"LastViewed"},                                                                                // a packet is unread until the trail shows staff opened it
	{"workspace", "intake"}:       {"CheckQuestions", "Problem"},                                                                 // the form builder checks questions by intake's own rules
	{"actions", "appointments"}:   {"Appointments", "OfferInMail", "Change", "ChangeMoved", "ChangeCancelled"},                   // mail about an appointment carries the actions; a staff change settles the client's answers
}

// TestCapabilitiesMeetOnlyThroughNamedExports reads the imports of every
// package under hooks/: the kernel imports no capability, and a capability
// uses another only through the names listed in namedExports.
func TestCapabilitiesMeetOnlyThroughNamedExports(t *testing.T) {
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, entry := range entries {
		if !entry.IsDir() {
			continue
		}
		pkg := entry.Name()
		files, _ := filepath.Glob(filepath.Join(pkg, "*.go"))
		for _, file := range files {
			if strings.HasSuffix(file, "_test.go") {
				continue
			}
			parsed, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			for _, spec := range parsed.Imports {
				path, _ := strconv.Unquote(spec.Path.Value)
				imported, ok := strings.CutPrefix(path, "portico/hooks/")
				if !ok || slices.Contains(kernel, imported) {
					continue
				}
				if slices.Contains(kernel, pkg) {
					t.Errorf("%s: the kernel package %s imports the capability %s", file, pkg, imported)
					continue
				}
				allowed, ok := namedExports[[2]string{pkg, imported}]
				if !ok {
					t.Errorf("%s: %s imports %s, an edge namedExports does not list", file, pkg, imported)
					continue
				}
				name := filepath.Base(imported)
				if spec.Name != nil {
					name = spec.Name.Name
				}
				ast.Inspect(parsed, func(n ast.Node) bool {
					if sel, ok := n.(*ast.SelectorExpr); ok {
						if x, ok := sel.X.(*ast.Ident); ok && x.Name == name && !slices.Contains(allowed, sel.Sel.Name) {
							t.Errorf("%s: %s uses %s.%s, which is not among its named exports %v", file, pkg, imported, sel.Sel.Name, allowed)
						}
					}
					return true
				})
			}
		}
	}
}
