package testenv

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"mime/multipart"
	"net/textproto"
)

// Upload is a file a test attaches to a form.
type Upload struct {
	Name    string
	Content []byte
}

// Multipart encodes fields and files (each under field) as a browser's
// form with files does, returning the body and its Content-Type.
func Multipart(fields map[string]string, field string, files ...Upload) ([]byte, string) {
	var body bytes.Buffer
	form := multipart.NewWriter(&body)
	for name, value := range fields {
		_ = form.WriteField(name, value)
	}
	for _, file := range files {
		header := textproto.MIMEHeader{}
		header.Set("Content-Disposition", `form-data; name="`+field+`"; filename="`+file.Name+`"`)
		header.Set("Content-Type", "application/octet-stream")
		part, _ := form.CreatePart(header)
		_, _ = part.Write(file.Content)
	}
	_ = form.Close()
	return body.Bytes(), form.FormDataContentType()
}

// Sample files of each kind a client may attach, made here so no binary
// sits in the repository: a photo as PNG and JPEG, a PDF, an iPhone's
// HEIC (its file-type box is what identifies it) and plain text.
var (
	SamplePNG  = encodeImage(png.Encode)
	SampleJPEG = encodeImage(func(w io.Writer, m image.Image) error { return jpeg.Encode(w, m, nil) })
	SamplePDF  = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
	SampleHEIC = append([]byte{0, 0, 0, 0x18}, []byte("ftypheic\x00\x00\x00\x00mif1heic")...)
	SampleText = []byte("Member ID 123-456, group 789.\n")
)

func encodeImage(encode func(io.Writer, image.Image) error) []byte {
	picture := image.NewRGBA(image.Rect(0, 0, 24, 16))
	for x := range 24 {
		for y := range 16 {
			picture.Set(x, y, color.RGBA{R: uint8(x * 10), G: 90, B: uint8(y * 15), A: 255})
		}
	}
	var out bytes.Buffer
	_ = encode(&out, picture)
	return out.Bytes()
}
