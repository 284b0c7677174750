package intake

import (
	"html/template"
	"io"
	"time"
)

// Sheet is a submitted packet as the clinician reads or prints it.
type Sheet struct {
	Practice  string
	Client    string
	Title     string
	Intro     string
	Submitted time.Time
	Questions []Question
	Answers   Answers
	// Zone is where times are shown: the practice's, as every staff page shows them.
	Zone *time.Location
}

// printedSection is the questions under one heading (the first has none).
type printedSection struct {
	Heading string
	Text    string
	Items   []printedItem
}

type printedItem struct {
	Label    string
	Text     string
	Answer   string
	Choices  []string
	Signed   *printedSignature
	Answered bool
}

type printedSignature struct {
	Accepted bool
	Name     string
	At       string
}

const printPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{{.Title}}: {{.Client}}</title>
<link rel="stylesheet" href="/app.css">
</head>
<body class="print">
<main>
<p class="muted">{{.Practice}}</p>
<h1>{{.Title}}</h1>
<p><strong>{{.Client}}</strong>, {{if .Submitted}}submitted {{.Submitted}}{{else}}not submitted yet: these are the draft answers so far{{end}}</p>
{{if .Intro}}<p class="muted">{{.Intro}}</p>{{end}}
{{range .Sections}}{{if .Heading}}<h2>{{.Heading}}</h2>{{end}}{{if .Text}}<p>{{.Text}}</p>{{end}}
{{if .Items}}<dl class="answers">
{{range .Items}}<dt>{{.Label}}</dt>
<dd>{{if .Signed}}<p>{{.Text}}</p><p>{{if .Signed.Accepted}}Agreed{{else}}Not agreed{{end}}{{if .Signed.Name}}, signed “{{.Signed.Name}}”{{end}}{{if .Signed.At}} on {{.Signed.At}}{{end}}</p>
{{else if .Choices}}<ul>{{range .Choices}}<li>{{.}}</li>{{end}}</ul>
{{else if .Answered}}{{.Answer}}
{{else}}<span class="muted">No answer</span>{{end}}</dd>
{{end}}</dl>{{end}}{{end}}
</main>
</body></html>
`

var printTemplate = template.Must(template.New("print").Parse(printPage))

var yesNo = map[string]string{"yes": "Yes", "no": "No"}

const printedTime = "Monday 2 January 2006, 15:04 MST"

// Print writes the sheet as a plain HTML page: questions and answers in
// the form's order, each consent with its text, the signed name and time.
func Print(w io.Writer, sheet Sheet) error {
	zone := sheet.Zone
	if zone == nil {
		zone = time.UTC
	}
	sections := []printedSection{{}}
	for _, q := range sheet.Questions {
		if !q.Asks() {
			sections = append(sections, printedSection{Heading: q.Label, Text: q.Text})
			continue
		}
		item := printedItem{Label: q.Label, Text: q.Text}
		answer, answered := sheet.Answers[q.Id]
		item.Answered = answered
		switch value := answer.(type) {
		case string:
			item.Answer = value
			if spoken, ok := yesNo[value]; ok && q.Kind == YesNo {
				item.Answer = spoken
			}
		case []any:
			for _, choice := range value {
				if text, ok := choice.(string); ok {
					item.Choices = append(item.Choices, text)
				}
			}
		case []string:
			item.Choices = value
		}
		if q.Kind == Consent {
			signature, _ := asSignature(answer)
			item.Signed = &printedSignature{Accepted: signature.Accepted, Name: signature.Name}
			if at, err := time.Parse(time.RFC3339, signature.At); err == nil {
				item.Signed.At = at.In(zone).Format(printedTime)
			}
		}
		last := &sections[len(sections)-1]
		last.Items = append(last.Items, item)
	}

	submitted := ""
	if !sheet.Submitted.IsZero() {
		submitted = sheet.Submitted.In(zone).Format(printedTime)
	}
	return printTemplate.Execute(w, map[string]any{
		"Practice":  sheet.Practice,
		"Client":    sheet.Client,
		"Title":     sheet.Title,
		"Intro":     sheet.Intro,
		"Submitted": submitted,
		"Sections":  sections,
	})
}
