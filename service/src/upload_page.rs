//! `upload start --html FILE`: a self-contained page with a ticket's form, so a person can upload
//! from a browser. S3 takes one file per POST
//! (<https://docs.aws.amazon.com/AmazonS3/latest/API/RESTObjectPOST.html>), so the page sends
//! each chosen file as its own form submission with `fetch`; the uploads bucket's CORS rules
//! (`--upload-origins`) must allow the page's origin for it to read the answers.

use crate::keeper::Ticket;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The page for a `post` ticket.
pub fn render(ticket: &Ticket) -> String {
    let fields = ticket.fields.clone().unwrap_or_default();
    // The fields go to the script as JSON; `</` is escaped so no value can end the script.
    let fields_json = serde_json::to_string(&fields)
        .unwrap_or_default()
        .replace("</", "<\\/");
    let url = serde_json::to_string(ticket.url.as_deref().unwrap_or_default())
        .unwrap_or_default()
        .replace("</", "<\\/");
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Upload to {prefix}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; }}
li.ok {{ color: #166534; }} li.failed {{ color: #991b1b; }}
</style>
</head>
<body>
<h1>Upload files</h1>
<p>Files go to <code>s3://{bucket}/{prefix}</code> until {expires} (ticket <code>{id}</code>).</p>
<form id="upload">
<input type="file" id="files" name="files" multiple required>
<button type="submit" id="send">Upload</button>
</form>
<p id="status" role="status"></p>
<ul id="results"></ul>
<script>
const url = {url};
const fields = {fields_json};
const prefix = {prefix_json};
document.getElementById("upload").addEventListener("submit", async (event) => {{
  event.preventDefault();
  const files = Array.from(document.getElementById("files").files);
  const status = document.getElementById("status");
  const results = document.getElementById("results");
  let ok = 0, failed = 0;
  status.textContent = "uploading " + files.length + " file(s)…";
  for (const file of files) {{
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) {{
      form.append(name, name === "key" ? prefix + file.name : value);
    }}
    form.append("file", file);
    const item = document.createElement("li");
    item.dataset.key = prefix + file.name;
    try {{
      const response = await fetch(url, {{ method: "POST", body: form }});
      if (response.ok) {{
        ok += 1; item.className = "ok"; item.textContent = file.name + ": uploaded";
      }} else {{
        failed += 1; item.className = "failed";
        const text = await response.text();
        const code = (text.match(/<Code>([^<]*)<\/Code>/) || [])[1] || response.status;
        item.textContent = file.name + ": refused (" + code + ")";
      }}
    }} catch (e) {{
      failed += 1; item.className = "failed"; item.textContent = file.name + ": " + e;
    }}
    results.appendChild(item);
  }}
  status.textContent = ok + " uploaded, " + failed + " failed";
}});
</script>
</body>
</html>
"#,
        prefix = escape(&ticket.prefix),
        bucket = escape(&ticket.bucket),
        expires = escape(&ticket.expires_at),
        id = escape(&ticket.id),
        prefix_json = serde_json::to_string(&ticket.prefix)
            .unwrap_or_default()
            .replace("</", "<\\/"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keeper::UploadMethod;

    #[test]
    fn values_cannot_break_out_of_the_page_or_the_script() {
        let mut fields = serde_json::Map::new();
        fields.insert("policy".into(), "</script><script>alert(1)".into());
        let ticket = Ticket {
            id: "t".into(),
            method: UploadMethod::Post,
            bucket: "b".into(),
            prefix: "a<b>/".into(),
            region: "us-east-1".into(),
            expires_at: "2030-01-01T00:00:00Z".into(),
            url: Some("http://127.0.0.1/b/".into()),
            fields: Some(fields),
            urls: None,
            credentials: None,
        };
        let page = render(&ticket);
        assert!(!page.contains("</script><script>alert(1)"));
        assert!(page.contains("a&lt;b&gt;/"));
        assert_eq!(page.matches("</script>").count(), 1);
    }
}
