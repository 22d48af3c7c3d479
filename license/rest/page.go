package rest

import (
	"crypto/sha256"
	"encoding/base64"
)

// pageData is what the /offline page shows besides its text.
type pageData struct {
	// Error is the message of a failed POST; html/template escapes it.
	Error  string
	MaxKiB int
}

// pageStyle is the page's one style sheet, inline so that the page needs
// nothing else; the Content-Security-Policy allows it by its hash.
const pageStyle = `
body{font:1rem/1.5 system-ui,sans-serif;margin:0;color:#1b1b1b;background:#fff}
main{max-width:40rem;margin:2rem auto;padding:0 1rem}
h1{font-size:1.6rem}
.error{border:2px solid #b00020;border-radius:.25rem;padding:.5rem 1rem;margin:1rem 0;background:#fdecee}
.error h2{font-size:1.1rem;margin:.25rem 0;color:#b00020}
form{margin:1.5rem 0;padding:1rem;border:1px solid #888;border-radius:.25rem}
label{display:block;font-weight:600;margin-bottom:.25rem}
input,button{font:inherit}
button{margin-top:1rem;padding:.4rem 1.2rem}
:focus-visible{outline:3px solid #005fcc;outline-offset:2px}
.hint{color:#444;font-size:.9rem}
`

// pageHTML is the template of the /offline page: no script, no external
// asset, and a form that works without either.
const pageHTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{{if .Error}}Error: {{end}}Offline activation</title>
<style>` + pageStyle + `</style>
</head>
<body>
<main>
<h1>Offline activation</h1>
{{if .Error}}<div class="error" role="alert" id="error">
<h2>No license file was made</h2>
<p id="error-message">{{.Error}}</p>
</div>
{{end}}<p>Use this page to activate a program on a computer that has no network connection.</p>
<ol>
<li>On the offline computer, let the program write its <strong>request file</strong>.</li>
<li>Bring the request file to this computer, choose it below and select <strong>Get license file</strong>.</li>
<li>Your browser saves the <strong>license file</strong>. Bring it to the offline computer and give it to the program.</li>
</ol>
<form method="post" enctype="multipart/form-data">
<label for="request">Request file</label>
<input type="file" id="request" name="request" accept=".json,application/json" required aria-describedby="request-hint"{{if .Error}} aria-invalid="true"{{end}}>
<p class="hint" id="request-hint">A JSON file of at most {{.MaxKiB}} KiB. It holds your activation key: keep it as safe as the key.</p>
<button type="submit">Get license file</button>
</form>
</main>
</body>
</html>
`

// pageCSP returns the Content-Security-Policy of the page: nothing but
// its own style, and a form that posts to this site.
func pageCSP() string {
	sum := sha256.Sum256([]byte(pageStyle))
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; " +
		"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
}
