// Package pbpublic holds the client portal pages, embedded in the binary
// so that a practice runs one file with nothing beside it.
package pbpublic

import "embed"

// FS is the portal's pages, styles and scripts.
//
//go:embed *.html *.css js portal staff
var FS embed.FS
