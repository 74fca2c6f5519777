//! The C API: a thin layer over the core that checks pointers, converts arguments, catches
//! panics and maps results to the reference's sentinel values (STYLE.md §3).
//!
//! Every exported body runs inside `ffi_boundary!`; a panic or a NULL argument yields the
//! return type's `Fallback`: NULL, `false`, `-1`, `0` or nothing.

use std::borrow::Cow;
use std::ffi::{c_char, c_void, CStr, CString};
use std::sync::Mutex;

use crate::error::Error;

pub mod cancel;
pub mod compiled;
pub mod current_plugin;
pub mod function;
pub mod log;
pub mod plugin;
pub mod version;

/// Unsigned 64-bit size, as in the reference header.
pub type ExtismSize = u64;

/// Offset of a block in Extism memory; 0 means none.
pub type ExtismMemoryHandle = u64;

/// What an exported function returns after a panic or a NULL argument.
pub(crate) trait Fallback {
    fn fallback() -> Self;
}

impl<T> Fallback for *mut T {
    fn fallback() -> Self {
        std::ptr::null_mut()
    }
}

impl<T> Fallback for *const T {
    fn fallback() -> Self {
        std::ptr::null()
    }
}

impl Fallback for bool {
    fn fallback() -> Self {
        false
    }
}

impl Fallback for i32 {
    fn fallback() -> Self {
        -1
    }
}

impl Fallback for u64 {
    fn fallback() -> Self {
        0
    }
}

impl Fallback for () {
    fn fallback() -> Self {}
}

/// Runs an exported body; a panic becomes the return type's fallback value.
macro_rules! ffi_boundary {
    ($($body:tt)*) => {
        match ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(|| { $($body)* })) {
            Ok(value) => value,
            Err(_) => $crate::ffi::Fallback::fallback(),
        }
    };
}
pub(crate) use ffi_boundary;

/// Borrows `*ptr`, or returns the fallback when `ptr` is NULL.
macro_rules! try_ref {
    ($ptr:expr) => {{
        // SAFETY: callers pass either NULL or a pointer obtained from this library that has
        // not been freed, as each function's `# Safety` section requires.
        match unsafe { $ptr.as_ref() } {
            Some(value) => value,
            None => return $crate::ffi::Fallback::fallback(),
        }
    }};
}
pub(crate) use try_ref;

/// Reads a NUL-terminated UTF-8 string, or returns the fallback when `ptr` is NULL or the
/// text is not UTF-8.
macro_rules! try_str {
    ($ptr:expr) => {{
        // SAFETY: callers pass NULL or a NUL-terminated string that lives for the call, as
        // each function's `# Safety` section requires.
        match unsafe { $crate::ffi::c_str($ptr) } {
            Some(Ok(text)) => text,
            _ => return $crate::ffi::Fallback::fallback(),
        }
    }};
}
pub(crate) use try_str;

/// Frees a handle made by `Box::into_raw`; NULL is a no-op.
///
/// # Safety
/// `ptr` is NULL or came from `Box::into_raw` for this `T` and has not been freed yet.
pub(crate) unsafe fn free_box<T>(ptr: *mut T) {
    if !ptr.is_null() {
        // SAFETY: per this function's contract, `ptr` owns a live `Box<T>`.
        drop(unsafe { Box::from_raw(ptr) });
    }
}

/// A C string as UTF-8: `None` for NULL, `Some(Err)` for invalid UTF-8.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string that stays valid and unchanged for `'a`.
pub(crate) unsafe fn c_str<'a>(ptr: *const c_char) -> Option<Result<&'a str, Error>> {
    if ptr.is_null() {
        return None;
    }
    // SAFETY: non-NULL, so NUL-terminated and valid for `'a` per this function's contract.
    let text = unsafe { CStr::from_ptr(ptr) };
    Some(text.to_str().map_err(|e| Error::msg(e.to_string())))
}

/// A C string converted lossily to UTF-8 (invalid sequences become U+FFFD); `None` for NULL.
///
/// # Safety
/// As for [`c_str`].
pub(crate) unsafe fn c_str_lossy<'a>(ptr: *const c_char) -> Option<Cow<'a, str>> {
    if ptr.is_null() {
        return None;
    }
    // SAFETY: non-NULL, so NUL-terminated and valid for `'a` per this function's contract.
    Some(unsafe { CStr::from_ptr(ptr) }.to_string_lossy())
}

/// `(ptr, len)` as a slice: empty when `len` is 0 whatever `ptr` is, an error for NULL with a
/// non-zero length or a length that does not fit in memory.
///
/// # Safety
/// When `len` is not 0 and `ptr` is not NULL, `len` bytes at `ptr` are readable and stay
/// unchanged for `'a`.
pub(crate) unsafe fn slice<'a>(ptr: *const u8, len: ExtismSize) -> Result<&'a [u8], Error> {
    let len = usize::try_from(len).map_err(|_| Error::msg("length does not fit in memory"))?;
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(Error::msg("Cannot pass null pointer"));
    }
    // SAFETY: `len` readable bytes at a non-NULL `ptr`, per this function's contract.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// `text` as a C string, with interior NUL bytes escaped so that building it cannot fail.
pub(crate) fn to_c_string(text: &str) -> CString {
    let escaped = text.replace('\0', "\\0");
    CString::new(escaped).unwrap_or_default()
}

/// Writes `err` to the `errmsg` out-parameter when it is not NULL. The string is freed with
/// `extism_plugin_new_error_free`.
///
/// # Safety
/// `errmsg` is NULL or points to a writable `char *`.
pub(crate) unsafe fn set_errmsg(errmsg: *mut *mut c_char, err: &Error) {
    if errmsg.is_null() {
        return;
    }
    // SAFETY: non-NULL, so writable per this function's contract.
    unsafe { errmsg.write(to_c_string(err.message()).into_raw()) };
}

/// A caller's `void *` user data, handed back to its callbacks, with an optional finalizer
/// that runs exactly once, when the last holder drops it (never for NULL data).
pub(crate) struct UserData {
    data: *mut c_void,
    finalizer: Option<unsafe extern "C" fn(*mut c_void)>,
}

// SAFETY: this library never dereferences the pointer; it only hands it back to the caller's
// callbacks and finalizer, and the C contract makes the caller responsible for using it from
// the threads its plugins run on.
unsafe impl Send for UserData {}
// SAFETY: as above.
unsafe impl Sync for UserData {}

impl UserData {
    /// `data`, to be finalized with `finalizer` (if any) when dropped.
    pub(crate) fn new(
        data: *mut c_void,
        finalizer: Option<unsafe extern "C" fn(*mut c_void)>,
    ) -> Self {
        UserData { data, finalizer }
    }

    /// The caller's pointer.
    pub(crate) fn get(&self) -> *mut c_void {
        self.data
    }
}

impl Drop for UserData {
    fn drop(&mut self) {
        if let (Some(finalizer), false) = (self.finalizer, self.data.is_null()) {
            // SAFETY: the caller supplied `finalizer` for exactly this pointer, and Drop runs
            // once.
            unsafe { finalizer(self.data) };
        }
    }
}

/// A string owned by a handle and handed to C by queries (docs/abi.md D10): a query that finds
/// the same text as the one before returns the same pointer, so a pointer stays valid until
/// the text itself changes (a call, reset or free), however often and from however many threads
/// it is asked for.
#[derive(Debug, Default)]
pub(crate) struct CStringSlot(Mutex<Option<CString>>);

impl CStringSlot {
    /// A pointer to `text` (NULL for `None`): the one handed out before when the text is the
    /// same, otherwise a new copy that replaces it.
    pub(crate) fn get(&self, text: Option<&str>) -> *const c_char {
        let Ok(mut slot) = self.0.lock() else {
            return std::ptr::null();
        };
        let text = text.map(to_c_string);
        if *slot != text {
            *slot = text;
        }
        slot.as_ref().map_or(std::ptr::null(), |s| s.as_ptr())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn panics() -> i32 {
        ffi_boundary! {
            if std::hint::black_box(true) {
                panic!("boom");
            }
            7
        }
    }

    #[test]
    fn panic_inside_boundary_returns_the_fallback() {
        assert_eq!(panics(), -1);
        let ptr: *mut u8 = ffi_boundary! { panic!("boom") };
        assert!(ptr.is_null());
    }

    #[test]
    fn slices_follow_the_length() {
        let data = [1u8, 2, 3];
        // SAFETY: NULL pointers, and two of the three bytes of `data`.
        unsafe {
            assert_eq!(slice(std::ptr::null(), 0).unwrap(), b"");
            assert!(slice(std::ptr::null(), 3).is_err());
            assert_eq!(slice(data.as_ptr(), 2).unwrap(), &[1, 2]);
        }
    }

    #[test]
    fn a_slot_keeps_its_pointer_while_the_text_is_the_same() {
        let slot = CStringSlot::default();
        let first = slot.get(Some("boom"));
        assert_eq!(slot.get(Some("boom")), first);
        // SAFETY: the slot still holds the string `first` points to.
        assert_eq!(unsafe { CStr::from_ptr(first) }.to_str().unwrap(), "boom");
        let other = slot.get(Some("bang"));
        // SAFETY: as above, for the new text.
        assert_eq!(unsafe { CStr::from_ptr(other) }.to_str().unwrap(), "bang");
        assert!(slot.get(None).is_null());
    }

    #[test]
    fn lossy_strings_replace_invalid_utf8() {
        // SAFETY: NULL, and NUL-terminated literals.
        unsafe {
            assert!(c_str_lossy(std::ptr::null()).is_none());
            assert_eq!(c_str_lossy(c"a\xffb".as_ptr()).unwrap(), "a\u{fffd}b");
            assert_eq!(c_str_lossy(c"ok".as_ptr()).unwrap(), "ok");
        }
    }

    #[test]
    fn user_data_is_finalized_once_and_never_for_null() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static FINALIZED: AtomicUsize = AtomicUsize::new(0);
        unsafe extern "C" fn finalize(data: *mut c_void) {
            FINALIZED.fetch_add(data as usize, Ordering::SeqCst);
        }
        let shared = std::sync::Arc::new(UserData::new(5 as *mut c_void, Some(finalize)));
        let other = std::sync::Arc::clone(&shared);
        drop(shared);
        assert_eq!(FINALIZED.load(Ordering::SeqCst), 0);
        assert_eq!(other.get() as usize, 5);
        drop(other);
        assert_eq!(FINALIZED.load(Ordering::SeqCst), 5);
        drop(UserData::new(std::ptr::null_mut(), Some(finalize)));
        drop(UserData::new(7 as *mut c_void, None));
        assert_eq!(FINALIZED.load(Ordering::SeqCst), 5);
    }

    #[test]
    fn c_strings_escape_nul_and_errmsg_is_optional() {
        assert_eq!(to_c_string("a\0b").to_str().unwrap(), "a\\0b");
        let mut out: *mut c_char = std::ptr::null_mut();
        // SAFETY: NULL, then a writable `char *`; set_errmsg writes a CString made by into_raw,
        // and `c_str` gets NULL and NUL-terminated literals.
        unsafe {
            set_errmsg(std::ptr::null_mut(), &Error::msg("ignored"));
            set_errmsg(&mut out, &Error::msg("bad"));
            let back = CString::from_raw(out);
            assert_eq!(back.to_str().unwrap(), "bad");
            assert!(c_str(std::ptr::null()).is_none());
            assert!(c_str(c"\xff".as_ptr()).unwrap().is_err());
        }
    }
}
