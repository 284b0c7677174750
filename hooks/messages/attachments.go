package messages

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/gabriel-vasile/mimetype"
	"github.com/pocketbase/pocketbase/tools/filesystem"
)

// allowedTypes are what a client sends a practice: a document, a photo
// (a phone's HEIC included) or plain text, by what the content is, never
// by the file's name. HTML, SVG and scripts are refused even as text.
var allowedTypes = []string{"application/pdf", "image/jpeg", "image/png", "image/heic", "image/heif", "text/plain"}

// checkFiles refuses too many files or any file checkFile refuses, in
// one line that names the file.
func checkFiles(files []*filesystem.File) error {
	if len(files) > MaxFiles {
		return fmt.Errorf("Attach at most %d files to one message.", MaxFiles)
	}
	for _, file := range files {
		if err := checkFile(file, allowedTypes, "is not a PDF, a photo (JPEG, PNG or HEIC) or a plain text file."); err != nil {
			return err
		}
	}
	return nil
}

// checkFile refuses a file over MaxFileSize, an empty one, or one whose
// content is none of types, saying the file's name and then refusal.
func checkFile(file *filesystem.File, types []string, refusal string) error {
	name := file.OriginalName
	switch {
	case file.Size > MaxFileSize:
		return fmt.Errorf("%q is larger than 10 MB. Please send a smaller file or a photo of it.", name)
	case file.Size == 0:
		return fmt.Errorf("%q is empty.", name)
	}
	kind, err := detect(file)
	if err != nil {
		return fmt.Errorf("%q could not be read. Please try again.", name)
	}
	if !slices.ContainsFunc(types, kind.Is) {
		return fmt.Errorf("%q %s", name, refusal)
	}
	return nil
}

func detect(file *filesystem.File) (*mimetype.MIME, error) {
	reader, err := file.Reader.Open()
	if err != nil {
		return nil, err
	}
	defer reader.Close()
	return mimetype.DetectReader(reader)
}

// fileKind is how a page shows a stored attachment: "image" for a photo
// a browser draws inline, "file" for anything to download (a PDF, text,
// and HEIC, which most browsers cannot draw).
func fileKind(name string) string {
	switch strings.ToLower(path.Ext(name)) {
	case ".jpg", ".jpeg", ".png":
		return "image"
	}
	return "file"
}
