//! The HTTP client behind guests' `http_request` (docs/abi.md §8.5; the guest functions are in
//! `pdk`) and remote manifest modules (`wasm[].url`, docs/abi.md §7.2).
//!
//! Requests go through `ureq`. Redirects are followed here, one hop at a time, so that every
//! hop is checked against `allowed_hosts`.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use ureq::http::{Method, Request, Response, Uri};

use crate::error::{Error, Result};
use crate::manifest::WasmUrl;

const MAX_REDIRECTS: usize = 10;
/// How long fetching a remote module may take.
const MODULE_FETCH_TIMEOUT: Duration = Duration::from_secs(60);
/// The largest remote module accepted.
const MAX_MODULE_BYTES: u64 = 512 * 1024 * 1024;

/// A guest's request description, the JSON `http_request` takes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct HttpRequest {
    url: String,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    method: Option<String>,
}

/// Whether `host` matches one of the `allowed` globs. An entry that is not a valid pattern
/// is compared literally; an empty list allows nothing.
pub(crate) fn host_allowed(host: &str, allowed: &[String]) -> bool {
    let host = host.to_ascii_lowercase();
    allowed
        .iter()
        .any(|pattern| match glob::Pattern::new(pattern) {
            Ok(glob) => glob.matches(&host),
            Err(_) => pattern.eq_ignore_ascii_case(&host),
        })
}

fn host_of(url: &str) -> Result<(Uri, String)> {
    let uri: Uri = url
        .parse()
        .map_err(|e| Error::msg(format!("Invalid URL: {e}")))?;
    let host = match (uri.scheme_str(), uri.host()) {
        (Some("http" | "https"), Some(host)) if !host.is_empty() => host.to_owned(),
        _ => return Err(Error::msg(format!("Invalid URL: {url}"))),
    };
    Ok((uri, host))
}

/// `location` resolved against `base`.
fn resolve(base: &Uri, location: &str) -> String {
    if location.starts_with("http://") || location.starts_with("https://") {
        return location.to_owned();
    }
    let scheme = base.scheme_str().unwrap_or("http");
    let authority = base.authority().map_or("", |a| a.as_str());
    if location.starts_with("//") {
        return format!("{scheme}:{location}");
    }
    if location.starts_with('/') {
        return format!("{scheme}://{authority}{location}");
    }
    let path = base.path();
    let dir = &path[..path.rfind('/').map_or(0, |i| i + 1)];
    format!("{scheme}://{authority}{dir}{location}")
}

fn agent(timeout: Option<Duration>) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(timeout)
        .max_redirects(0)
        .http_status_as_error(false)
        .build()
        .new_agent()
}

fn transport_error(err: ureq::Error) -> Error {
    match err {
        ureq::Error::Timeout(_) => Error::msg("timeout"),
        other => Error::msg(other.to_string()),
    }
}

/// Sends a request and follows redirects, checking each hop with `allow` (which returns an
/// error for a URL that may not be reached).
fn send(
    method: Method,
    url: &str,
    headers: &BTreeMap<String, String>,
    body: Vec<u8>,
    timeout: Option<Duration>,
    allow: &dyn Fn(&str) -> Result<Uri>,
) -> Result<Response<ureq::Body>> {
    let agent = agent(timeout);
    let mut method = method;
    let mut body = body;
    let mut url = url.to_owned();
    let mut uri = allow(&url)?;
    for _ in 0..=MAX_REDIRECTS {
        let mut request = Request::builder().method(method.clone()).uri(&url);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let request = request
            .body(body.clone())
            .map_err(|e| Error::msg(e.to_string()))?;
        let response = agent.run(request).map_err(transport_error)?;
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok());
        match (response.status().is_redirection(), location) {
            (true, Some(location)) => {
                url = resolve(&uri, location);
                uri = allow(&url)?;
                let status = response.status().as_u16();
                if status == 303 || ((status == 301 || status == 302) && method == Method::POST) {
                    method = Method::GET;
                    body.clear();
                }
            }
            _ => return Ok(response),
        }
    }
    Err(Error::msg(format!("too many redirects requesting {url}")))
}

fn parse_method(method: Option<&str>) -> Result<Method> {
    let method = method.unwrap_or("GET").to_ascii_uppercase();
    Method::from_bytes(method.as_bytes()).map_err(|e| Error::msg(e.to_string()))
}

impl HttpRequest {
    /// Parses the guest's JSON request description.
    pub(crate) fn parse(json: &str) -> Result<Self> {
        serde_json::from_str(json).map_err(|e| Error::msg(e.to_string()))
    }

    /// Checks the method and that `allowed_hosts` lets the request's URL be reached.
    pub(crate) fn check(&self, allowed_hosts: &[String]) -> Result<()> {
        parse_method(self.method.as_deref())?;
        allowed_uri(&self.url, allowed_hosts).map(drop)
    }

    /// Sends the request with `body`, following redirects to hosts `allowed_hosts` lets
    /// through; fails with "timeout" when `timeout` passes first.
    pub(crate) fn send(
        &self,
        body: Vec<u8>,
        allowed_hosts: &[String],
        timeout: Option<Duration>,
    ) -> Result<HttpResponse> {
        let method = parse_method(self.method.as_deref())?;
        let allow = |url: &str| allowed_uri(url, allowed_hosts);
        send(method, &self.url, &self.headers, body, timeout, &allow).map(HttpResponse)
    }
}

/// The URI of `url`, if `allowed_hosts` lets its host be reached.
fn allowed_uri(url: &str, allowed_hosts: &[String]) -> Result<Uri> {
    let (uri, host) = host_of(url)?;
    if host_allowed(&host, allowed_hosts) {
        Ok(uri)
    } else {
        Err(Error::msg(format!("HTTP request to {url} is not allowed")))
    }
}

/// A response whose status and headers have arrived; the body is read on demand.
pub(crate) struct HttpResponse(Response<ureq::Body>);

impl HttpResponse {
    /// The HTTP status code.
    pub(crate) fn status(&self) -> u16 {
        self.0.status().as_u16()
    }

    /// The headers with lower-case names; values that are not UTF-8 are skipped.
    pub(crate) fn headers(&self) -> impl Iterator<Item = (String, &str)> {
        self.0.headers().iter().filter_map(|(name, value)| {
            let value = value.to_str().ok()?;
            Some((name.as_str().to_ascii_lowercase(), value))
        })
    }

    /// Reads the body; fails when it is longer than `max` bytes.
    pub(crate) fn read_body(&mut self, max: u64) -> Result<Vec<u8>> {
        match self.0.body_mut().with_config().limit(max).read_to_vec() {
            Ok(body) => Ok(body),
            Err(ureq::Error::BodyExceedsLimit(_)) => Err(Error::msg(format!(
                "HTTP response exceeds the configured maximum number of bytes: {max}"
            ))),
            Err(other) => Err(transport_error(other)),
        }
    }
}

/// Fetches a manifest module from its URL, with a timeout and a size limit.
pub(crate) fn fetch_module(wasm: &WasmUrl) -> Result<Vec<u8>> {
    let fail = |e: Error| Error::msg(format!("Unable to fetch {}: {}", wasm.url, e.message()));
    let method = parse_method(wasm.method.as_deref()).map_err(fail)?;
    let allow_any = |url: &str| host_of(url).map(|(uri, _)| uri);
    let mut response = send(
        method,
        &wasm.url,
        &wasm.headers,
        Vec::new(),
        Some(MODULE_FETCH_TIMEOUT),
        &allow_any,
    )
    .map_err(fail)?;
    if !response.status().is_success() {
        return Err(fail(Error::msg(format!(
            "HTTP status {}",
            response.status()
        ))));
    }
    response
        .body_mut()
        .with_config()
        .limit(MAX_MODULE_BYTES)
        .read_to_vec()
        .map_err(|e| fail(transport_error(e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_hosts_with_globs() {
        let allowed = vec!["*.example.com".to_owned(), "127.0.0.*".to_owned()];
        assert!(host_allowed("api.example.com", &allowed));
        assert!(host_allowed("API.Example.com", &allowed));
        assert!(!host_allowed("example.com", &allowed));
        assert!(host_allowed("127.0.0.1", &allowed));
        assert!(!host_allowed("localhost", &allowed));
        assert!(!host_allowed("anything", &[]));
        assert!(host_allowed("anything", &["*".to_owned()]));
        assert!(host_allowed("[a", &["[a".to_owned()]));
    }

    #[test]
    fn resolves_redirect_locations() {
        let base: Uri = "http://a.test:8080/x/y?q".parse().unwrap();
        assert_eq!(resolve(&base, "https://b.test/z"), "https://b.test/z");
        assert_eq!(resolve(&base, "/z"), "http://a.test:8080/z");
        assert_eq!(resolve(&base, "z"), "http://a.test:8080/x/z");
        assert_eq!(resolve(&base, "//c.test/"), "http://c.test/");
    }

    #[test]
    fn rejects_urls_without_http_host() {
        assert!(host_of("ftp://a/b").is_err());
        assert!(host_of("not a url")
            .unwrap_err()
            .message()
            .starts_with("Invalid URL"));
        assert_eq!(host_of("http://h.test:1/p").unwrap().1, "h.test");
    }
}
