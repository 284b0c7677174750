// Package letters is the content of Portico's mail: one layout for every
// message (a plain-text and an HTML part, the practice's name, nothing
// about a client's health beyond what the message must say), queued
// through the outbox to a client or to the practice's staff, and the
// bridge that sends PocketBase's own mail through the same outbox.
package letters

import (
	"bytes"
	"html/template"
	"io"
	"strings"
	texttemplate "text/template"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/mailer"

	"portico/hooks/outbox"
)

// Letters queues letters through the outbox.
type Letters struct {
	App    core.App
	Outbox *outbox.Outbox
}

// BridgePocketBaseMail sends PocketBase's own mail (staff password resets,
// sign-in codes and the like) through the outbox too, instead of its
// silent sendmail fallback; a sign-in code's mail is queued with the code
// (codes.go).
func (l *Letters) BridgePocketBaseMail() {
	l.queueCodesWithTheirMail()
	l.App.OnMailerSend().BindFunc(func(e *core.MailerEvent) error {
		return l.queuePocketBaseMail(e.App, e.Message, "")
	})
}

// queuePocketBaseMail queues message, made by PocketBase, to each of its
// recipients using app, carrying carries (see outbox.Message). Queued, it
// is not for PocketBase's own mailer to send too.
func (l *Letters) queuePocketBaseMail(app core.App, message *mailer.Message, carries string) error {
	for _, to := range message.To {
		msg := outbox.Message{
			To:        to.Address,
			ToName:    to.Name,
			Kind:      "system",
			Subject:   message.Subject,
			Text:      message.Text,
			HTML:      message.HTML,
			Sensitive: true,
			Carries:   carries,
		}
		for name, reader := range message.Attachments {
			content, err := io.ReadAll(reader)
			if err != nil {
				return err
			}
			msg.Attachments = append(msg.Attachments, outbox.Attachment{Name: name, ContentType: "application/octet-stream", Content: content})
		}
		if _, err := l.Outbox.Enqueue(app, msg); err != nil {
			return err
		}
	}
	return nil
}

// Letter is the content of one Portico email. Every message shares one
// layout so that each has a plain-text and an HTML part, the practice's
// name, and nothing about the client's health beyond what it must say.
type Letter struct {
	Greeting    string
	Paragraphs  []string
	ButtonLabel string
	ButtonURL   string
	Code        string   // a sign-in code, shown large
	Details     []string // short lines such as a date and a place
	Links       []Link   // further choices below the button, such as an appointment's actions
	Footer      string
}

// Link is one labelled address in a letter.
type Link struct {
	Label string
	URL   string
}

const letterText = `{{.Letter.Greeting}}
{{range .Letter.Paragraphs}}
{{.}}
{{end}}{{range .Letter.Details}}
  {{.}}{{end}}{{if .Letter.ButtonURL}}

{{.Letter.ButtonLabel}}:
{{.Letter.ButtonURL}}{{end}}{{range .Letter.Links}}

{{.Label}}:
{{.URL}}{{end}}{{if .Letter.Code}}

Or type this code on the sign-in page: {{.Letter.Code}}{{end}}

{{if .Letter.Footer}}{{.Letter.Footer}}
{{end}}-- 
{{.Practice}}
`

const letterHTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{{.Practice}}</title></head>
<body style="margin:0;padding:24px;background:#f5f5f2;font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;color:#1d2327;">
<div style="max-width:520px;margin:0 auto;background:#fff;border-radius:8px;padding:28px;">
<p style="font-size:14px;color:#555;margin:0 0 20px;">{{.Practice}}</p>
<p style="font-size:17px;">{{.Letter.Greeting}}</p>
{{range .Letter.Paragraphs}}<p style="font-size:16px;line-height:1.5;">{{.}}</p>
{{end}}{{if .Letter.Details}}<ul style="font-size:16px;line-height:1.6;padding-left:20px;">{{range .Letter.Details}}<li>{{.}}</li>{{end}}</ul>
{{end}}{{if .Letter.ButtonURL}}<p style="margin:28px 0;"><a href="{{.Letter.ButtonURL}}" style="background:#1f5f8b;color:#fff;text-decoration:none;padding:14px 22px;border-radius:6px;font-size:17px;display:inline-block;">{{.Letter.ButtonLabel}}</a></p>
<p style="font-size:13px;color:#555;word-break:break-all;">Or copy this address into your browser: {{.Letter.ButtonURL}}</p>
{{end}}{{if .Letter.Links}}<p style="font-size:16px;line-height:2;">{{range $i, $link := .Letter.Links}}{{if $i}} &middot; {{end}}<a href="{{$link.URL}}" style="color:#1f5f8b;">{{$link.Label}}</a>{{end}}</p>
{{end}}{{if .Letter.Code}}<p style="font-size:16px;">Or type this code on the sign-in page:</p>
<p style="font-size:30px;letter-spacing:6px;font-weight:bold;margin:8px 0 24px;">{{.Letter.Code}}</p>
{{end}}{{if .Letter.Footer}}<p style="font-size:13px;color:#555;line-height:1.5;">{{.Letter.Footer}}</p>
{{end}}</div></body></html>
`

var (
	letterTextTemplate = texttemplate.Must(texttemplate.New("text").Parse(letterText))
	letterHTMLTemplate = template.Must(template.New("html").Parse(letterHTML))
)

// Render returns the plain-text and HTML parts of the letter.
func (l Letter) Render(practice string) (text string, html string, err error) {
	data := struct {
		Practice string
		Letter   Letter
	}{practice, l}

	var textBuf, htmlBuf bytes.Buffer
	if err := letterTextTemplate.Execute(&textBuf, data); err != nil {
		return "", "", err
	}
	if err := letterHTMLTemplate.Execute(&htmlBuf, data); err != nil {
		return "", "", err
	}
	return textBuf.String(), htmlBuf.String(), nil
}

// PracticeName is the practice's name as the dashboard has it.
func (l *Letters) PracticeName() string {
	return l.App.Settings().Meta.AppName
}

// PortalURL is an absolute address on the portal, for links in mail.
func (l *Letters) PortalURL(path string) string {
	return strings.TrimRight(l.App.Settings().Meta.AppURL, "/") + path
}

// PortalIntro is the paragraph that tells a client what the portal is.
func (l *Letters) PortalIntro() string {
	return l.PracticeName() + " uses a secure client portal for forms and appointments. There is no password to remember: each time, we email you a link like this one."
}

// ToClient queues a letter to a client through the outbox, in app (a
// transaction, when the letter must commit with a change). It reports
// false when msg's dedupe key was queued before.
func (l *Letters) ToClient(app core.App, client *core.Record, kind, subject string, letter Letter, msg outbox.Message) (bool, error) {
	msg.To = client.Email()
	msg.ToName = client.GetString("name")
	return l.ToAddress(app, kind, subject, letter, msg)
}

// ToAddress queues a letter to msg.To, such as the practice's
// notification address.
func (l *Letters) ToAddress(app core.App, kind, subject string, letter Letter, msg outbox.Message) (bool, error) {
	text, html, err := letter.Render(l.PracticeName())
	if err != nil {
		return false, err
	}
	msg.Kind = kind
	msg.Subject = subject
	msg.Text = text
	msg.HTML = html
	return l.Outbox.Enqueue(app, msg)
}
