//! The HTTP client behind guests' `http_request` (docs/abi.md §8.5; the guest functions are in
//! `pdk`) and remote manifest modules (`wasm[].url`, docs/abi.md §7.2).
//!
//! Requests go through `ureq`. Redirects are followed here, one hop at a time, so that every
//! hop is checked against `allowed_hosts`.
//!
//! A guest's request runs on a request thread ([`HttpRequest::start`]) while the calling
//! thread waits for it in short slices, so that a cancel or the call's deadline ends the wait
//! within [`WAIT_SLICE`] whatever the server does (docs/abi.md §8.1, §8.5). A request given up
//! on is shut down (`ureq::Agent::shutdown` closes its sockets), so its thread is free again
//! as soon as any connect or name lookup it is in returns; until then it counts against
//! [`MAX_ABANDONED`]. Request threads are kept for reuse ([`run_on_request_thread`]).
//!
//! At fork (`process`): the request threads, the list of idle ones and the count of requests
//! given up on belong to one process ([`RequestThreads`]); a child starts with its own, empty
//! ones, so it never hands a request to a thread it does not have, nor waits on a list a
//! thread of the parent held locked at the fork. On failure: a request thread that cannot be
//! started fails that request with an error.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde::Deserialize;
use ureq::http::{Method, Request, Response, Uri};

use crate::error::{Error, Result};
use crate::manifest::WasmUrl;
use crate::process::PerProcess;

const MAX_REDIRECTS: usize = 10;
/// How long fetching a remote module may take.
const MODULE_FETCH_TIMEOUT: Duration = Duration::from_secs(60);
/// The largest remote module accepted.
const MAX_MODULE_BYTES: u64 = 512 * 1024 * 1024;
/// How long a caller waits for a request before it checks again whether to give up.
const WAIT_SLICE: Duration = Duration::from_millis(50);
/// How many requests given up on may still be ending at once; while that many are, new
/// requests fail.
const MAX_ABANDONED: usize = 64;
/// How many request threads may wait for their next request.
const MAX_IDLE_THREADS: usize = 4;
/// How long a request thread waits for its next request before it ends.
const IDLE_THREAD_LIFETIME: Duration = Duration::from_secs(10);
/// This process's request threads.
static REQUEST_THREADS: PerProcess<RequestThreads> = PerProcess::new();

/// The request threads of one process, and the requests given up on there.
#[derive(Default)]
struct RequestThreads {
    /// Threads waiting for their next request, each with an id that tells them apart.
    idle: Mutex<Vec<(u64, Sender<Job>)>>,
    next_id: AtomicU64,
    /// Requests given up on whose threads are not free yet.
    abandoned: AtomicUsize,
}

impl RequestThreads {
    /// This process's.
    fn current() -> &'static RequestThreads {
        let started =
            REQUEST_THREADS.get_or_start(|| Ok::<_, std::convert::Infallible>(Self::default()));
        match started {
            Ok(threads) => threads,
            Err(never) => match never {},
        }
    }

    /// The idle list. A panic while it was held cannot have left the list half-changed (a
    /// push, a pop or a retain), so a poisoned lock is used as it is.
    fn idle(&self) -> MutexGuard<'_, Vec<(u64, Sender<Job>)>> {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

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

/// Why a request failed: it ran out of time, or anything else.
#[derive(Debug)]
enum Failure {
    TimedOut,
    Failed(Error),
}

impl From<Error> for Failure {
    fn from(err: Error) -> Self {
        Failure::Failed(err)
    }
}

impl From<ureq::Error> for Failure {
    fn from(err: ureq::Error) -> Self {
        match err {
            ureq::Error::Timeout(_) => Failure::TimedOut,
            other => Failure::Failed(Error::msg(other.to_string())),
        }
    }
}

impl Failure {
    fn into_error(self) -> Error {
        match self {
            Failure::TimedOut => Error::msg("timeout"),
            Failure::Failed(err) => err,
        }
    }
}

/// Sends a request through `agent` and follows redirects, checking each hop with `allow`
/// (which returns an error for a URL that may not be reached).
fn send(
    agent: &ureq::Agent,
    method: Method,
    url: &str,
    headers: &BTreeMap<String, String>,
    body: Vec<u8>,
    allow: &dyn Fn(&str) -> Result<Uri>,
) -> Result<Response<ureq::Body>, Failure> {
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
        let response = agent.run(request)?;
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
    Err(Error::msg(format!("too many redirects requesting {url}")).into())
}

/// Reads a response's body; fails when it is longer than `max` bytes.
fn read_body(response: &mut Response<ureq::Body>, max: u64) -> Result<Vec<u8>, Failure> {
    match response.body_mut().with_config().limit(max).read_to_vec() {
        Ok(body) => Ok(body),
        Err(ureq::Error::BodyExceedsLimit(_)) => Err(Failure::Failed(Error::msg(format!(
            "HTTP response exceeds the configured maximum number of bytes: {max}"
        )))),
        Err(other) => Err(other.into()),
    }
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

    /// Starts sending the request with `body` on a request thread, following redirects to
    /// hosts `allowed_hosts` lets through, within `timeout`; the body read is limited to
    /// `max_body` bytes. Fails at once when too many requests given up on are still ending.
    pub(crate) fn start(
        self,
        body: Vec<u8>,
        allowed_hosts: &[String],
        timeout: Option<Duration>,
        max_body: u64,
    ) -> Result<InFlight> {
        let method = parse_method(self.method.as_deref())?;
        let threads = RequestThreads::current();
        if threads.abandoned.load(Ordering::Acquire) >= MAX_ABANDONED {
            return Err(Error::msg(
                "too many cancelled HTTP requests are still closing; try again later",
            ));
        }
        let agent = agent(timeout);
        let (head_sender, heads) = mpsc::channel();
        let (body_sender, bodies) = mpsc::channel();
        let state = Arc::new(AtomicU8::new(RUNNING));
        let worker = Worker {
            request: self,
            method,
            body,
            allowed_hosts: allowed_hosts.to_vec(),
            max_body,
            agent: agent.clone(),
            state: Arc::clone(&state),
            threads,
        };
        let job = Box::new(move || worker.run(&head_sender, &body_sender));
        run_on_request_thread(threads, job, IDLE_THREAD_LIFETIME)?;
        Ok(InFlight {
            heads,
            bodies,
            agent,
            state,
            threads,
        })
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

/// The status and headers of a response.
#[derive(Debug)]
pub(crate) struct Head {
    pub(crate) status: u16,
    /// Names in lower case, in the order received; values that are not UTF-8 are left out.
    pub(crate) headers: Vec<(String, String)>,
}

impl Head {
    fn of(response: &Response<ureq::Body>) -> Self {
        let headers = response
            .headers()
            .iter()
            .filter_map(|(name, value)| {
                let value = value.to_str().ok()?;
                Some((name.as_str().to_ascii_lowercase(), value.to_owned()))
            })
            .collect();
        Head {
            status: response.status().as_u16(),
            headers,
        }
    }
}

/// What a request thread runs.
type Job = Box<dyn FnOnce() + Send>;

/// Runs `job` on an idle request thread of `threads`, or on a new one that waits `lifetime`
/// for its next job. Threads are kept for a while after their request, because starting one
/// costs a good part of a loopback request's time.
fn run_on_request_thread(
    threads: &'static RequestThreads,
    mut job: Job,
    lifetime: Duration,
) -> Result<()> {
    loop {
        let idle = threads.idle().pop();
        let Some((_, thread)) = idle else {
            break;
        };
        match thread.send(job) {
            Ok(()) => return Ok(()),
            // That thread ended (a panic in a job); try the next one.
            Err(mpsc::SendError(returned)) => job = returned,
        }
    }
    std::thread::Builder::new()
        .name("extism-http".into())
        .spawn(move || serve_requests(threads, job, lifetime))
        .map(drop)
        .map_err(|e| Error::msg(format!("unable to start the HTTP request: {e}")))
}

/// The life of a request thread: runs `job`, then the jobs it is given while it waits in the
/// idle list of `threads`, until it has waited `lifetime` or enough others wait.
fn serve_requests(threads: &'static RequestThreads, job: Job, lifetime: Duration) {
    let id = threads.next_id.fetch_add(1, Ordering::Relaxed);
    let (sender, jobs) = mpsc::channel();
    let mut job = job;
    loop {
        job();
        {
            let mut idle = threads.idle();
            if idle.len() >= MAX_IDLE_THREADS {
                return;
            }
            idle.push((id, sender.clone()));
        }
        job = match jobs.recv_timeout(lifetime) {
            Ok(next) => next,
            Err(_) => {
                let listed = {
                    let mut idle = threads.idle();
                    let before = idle.len();
                    idle.retain(|(other, _)| *other != id);
                    idle.len() != before
                };
                if listed {
                    // Off the list, under its lock: nobody else holds this thread's sender.
                    return;
                }
                // A sender took this thread off the list before it could do so itself, and
                // sends right after: its job is certainly coming (this thread still holds a
                // sender of its own, so the wait cannot end any other way). Ending here
                // instead could drop the job unrun in the channel.
                match jobs.recv() {
                    Ok(next) => next,
                    Err(_) => return,
                }
            }
        };
    }
}

/// [`Worker::state`]: the request is still running.
const RUNNING: u8 = 0;
/// [`Worker::state`]: the request has ended and its thread needs nothing more.
const FINISHED: u8 = 1;
/// [`Worker::state`]: the caller gave up while the request was running.
const GIVEN_UP: u8 = 2;

/// A request, as its request thread runs it.
struct Worker {
    request: HttpRequest,
    method: Method,
    body: Vec<u8>,
    allowed_hosts: Vec<String>,
    max_body: u64,
    agent: ureq::Agent,
    /// [`RUNNING`], [`FINISHED`] or [`GIVEN_UP`], shared with the [`InFlight`].
    state: Arc<AtomicU8>,
    /// Where the request is counted when it is given up on.
    threads: &'static RequestThreads,
}

impl Worker {
    /// Sends the request and reports its head, then its body (or the failure of either).
    fn run(self, heads: &Sender<Result<Head, Failure>>, bodies: &Sender<Result<Vec<u8>, Failure>>) {
        let Worker {
            request,
            method,
            body,
            allowed_hosts,
            max_body,
            agent,
            state,
            threads,
        } = self;
        // Ends the request's count even if ureq panics.
        let finished = Finished(&state, threads);
        let allow = |url: &str| allowed_uri(url, &allowed_hosts);
        let sent = send(&agent, method, &request.url, &request.headers, body, &allow);
        let mut response = match sent {
            Ok(response) => response,
            Err(failure) => {
                finished.finish();
                // The caller may have stopped listening; nothing is left to do then.
                let _ = heads.send(Err(failure));
                return;
            }
        };
        if heads.send(Ok(Head::of(&response))).is_err() {
            return;
        }
        let body = read_body(&mut response, max_body);
        // Finished before the body is handed over, so that a caller who got it never shuts
        // the agent down or counts the request as given up.
        finished.finish();
        let _ = bodies.send(body);
    }
}

/// Marks a [`Worker`] finished, when asked or when dropped, and releases its place among the
/// requests given up on if it had one.
struct Finished<'a>(&'a AtomicU8, &'static RequestThreads);

impl Finished<'_> {
    fn finish(&self) {
        if self.0.swap(FINISHED, Ordering::AcqRel) == GIVEN_UP {
            self.1.abandoned.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

impl Drop for Finished<'_> {
    fn drop(&mut self) {
        self.finish();
    }
}

/// A request running on a request thread ([`HttpRequest::start`]). Dropping it before the
/// body has arrived gives the request up: its connections are shut down, so its thread is
/// free again as soon as a connect or name lookup it is in returns.
pub(crate) struct InFlight {
    heads: Receiver<Result<Head, Failure>>,
    bodies: Receiver<Result<Vec<u8>, Failure>>,
    agent: ureq::Agent,
    state: Arc<AtomicU8>,
    /// Where the request is counted when it is given up on: the process it was started in.
    threads: &'static RequestThreads,
}

impl InFlight {
    /// Waits for the status and headers. `Ok(None)` when `stop` returned true first or the
    /// request ran out of its time.
    pub(crate) fn head(&self, stop: &dyn Fn() -> bool) -> Result<Option<Head>> {
        wait(&self.heads, stop)
    }

    /// Waits for the body, after [`InFlight::head`]. `Ok(None)` when `stop` returned true
    /// first or the request ran out of its time.
    pub(crate) fn body(&self, stop: &dyn Fn() -> bool) -> Result<Option<Vec<u8>>> {
        wait(&self.bodies, stop)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        // Counted before the worker can see GIVEN_UP, so its release never comes first.
        let abandoned = &self.threads.abandoned;
        abandoned.fetch_add(1, Ordering::AcqRel);
        let given_up = self
            .state
            .compare_exchange(RUNNING, GIVEN_UP, Ordering::AcqRel, Ordering::Acquire)
            .is_ok();
        if given_up {
            self.agent.clone().shutdown();
        } else {
            abandoned.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

/// Waits for the next report on `reports`, checking `stop` every [`WAIT_SLICE`].
fn wait<T>(reports: &Receiver<Result<T, Failure>>, stop: &dyn Fn() -> bool) -> Result<Option<T>> {
    loop {
        match reports.recv_timeout(WAIT_SLICE) {
            Ok(Ok(value)) => return Ok(Some(value)),
            Ok(Err(Failure::TimedOut)) => return Ok(None),
            Ok(Err(Failure::Failed(err))) => return Err(err),
            Err(RecvTimeoutError::Timeout) => {
                if stop() {
                    return Ok(None);
                }
            }
            Err(RecvTimeoutError::Disconnected) => {
                return Err(Error::msg("the HTTP request ended without a response"))
            }
        }
    }
}

/// Fetches a manifest module from its URL, with a timeout and a size limit.
pub(crate) fn fetch_module(wasm: &WasmUrl) -> Result<Vec<u8>> {
    let fail = |e: Error| Error::msg(format!("Unable to fetch {}: {}", wasm.url, e.message()));
    let method = parse_method(wasm.method.as_deref()).map_err(fail)?;
    let allow_any = |url: &str| host_of(url).map(|(uri, _)| uri);
    let agent = agent(Some(MODULE_FETCH_TIMEOUT));
    let mut response = send(
        &agent,
        method,
        &wasm.url,
        &wasm.headers,
        Vec::new(),
        &allow_any,
    )
    .map_err(|e| fail(e.into_error()))?;
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
        .map_err(|e| fail(Failure::from(e).into_error()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpListener;
    use std::time::Instant;

    /// Serves one connection: reads the request head, then answers with `answer` (nothing if
    /// it is `None`) and reads until the client closes. Returns the URL, and a thread that
    /// ends with the time from the request's arrival to the close.
    fn serve_once(answer: Option<&'static [u8]>) -> (String, std::thread::JoinHandle<Duration>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(10)))
                .unwrap();
            let mut head = Vec::new();
            let mut buf = [0u8; 1024];
            while !head.ends_with(b"\r\n\r\n") {
                let n = stream.read(&mut buf).unwrap();
                assert!(n > 0, "the client closed before sending its request");
                head.extend_from_slice(&buf[..n]);
            }
            let arrived = Instant::now();
            if let Some(answer) = answer {
                stream.write_all(answer).unwrap();
            }
            loop {
                match stream.read(&mut buf) {
                    Ok(0) => return arrived.elapsed(),
                    Ok(_) => {}
                    Err(e) => panic!("the client kept the connection open: {e}"),
                }
            }
        });
        (url, server)
    }

    fn start(url: &str) -> InFlight {
        let request = HttpRequest::parse(&format!("{{\"url\":\"{url}\"}}")).unwrap();
        request
            .start(Vec::new(), &["127.0.0.1".to_owned()], None, 1024)
            .unwrap()
    }

    #[test]
    fn a_request_given_up_on_is_closed_and_frees_its_thread() {
        // Answered: the body arrives, and the request was never given up on.
        let (url, server) = serve_once(Some(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
        let request = start(&url);
        let never = || false;
        assert_eq!(request.head(&never).unwrap().unwrap().status, 200);
        assert_eq!(request.body(&never).unwrap().unwrap(), b"ok");
        drop(request);
        assert_eq!(
            RequestThreads::current().abandoned.load(Ordering::Acquire),
            0
        );
        server.join().unwrap();

        // Never answered, no timeout: `stop` ends the wait, and dropping the request closes
        // its connection at once, so its thread ends.
        let (url, server) = serve_once(None);
        let request = start(&url);
        let started = Instant::now();
        let stop = || started.elapsed() >= Duration::from_millis(100);
        assert!(request.head(&stop).unwrap().is_none());
        let waited = started.elapsed();
        assert!(
            waited < Duration::from_millis(100) + 2 * WAIT_SLICE,
            "{waited:?}"
        );
        drop(request);
        let open_for = server.join().unwrap();
        assert!(
            open_for < Duration::from_secs(2),
            "closed after {open_for:?}"
        );
        let deadline = Instant::now() + Duration::from_secs(5);
        while RequestThreads::current().abandoned.load(Ordering::Acquire) != 0 {
            assert!(
                Instant::now() < deadline,
                "the request's thread was not freed"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn a_thread_taken_off_the_idle_list_runs_its_job_after_its_lifetime() {
        // A sender may take an idle thread off the list just before the thread's wait ends,
        // and send its job just after. The thread must still run it, however long the sender
        // took: here, until the thread would long have ended otherwise.
        let threads: &'static RequestThreads = Box::leak(Box::default());
        let lifetime = Duration::from_millis(10);
        let (ran_first, first_ran) = mpsc::channel();
        run_on_request_thread(
            threads,
            Box::new(move || ran_first.send(()).unwrap()),
            lifetime,
        )
        .unwrap();
        first_ran.recv_timeout(Duration::from_secs(10)).unwrap();
        let (_, thread) = loop {
            if let Some(entry) = threads.idle().pop() {
                break entry;
            }
            std::thread::sleep(Duration::from_millis(1));
        };
        // Far past the thread's lifetime; a thread that does not wait for the job taken
        // with its entry has ended by now, and the job would be lost with its channel.
        std::thread::sleep(100 * lifetime);
        let (ran_second, second_ran) = mpsc::channel();
        thread
            .send(Box::new(move || ran_second.send(()).unwrap()))
            .expect("the thread ended although its entry had been taken for a job");
        second_ran
            .recv_timeout(Duration::from_secs(10))
            .expect("the job sent to the thread never ran");
    }

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
