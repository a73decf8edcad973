//! The JSON projector allocates nothing once its buffers have grown: a counting global
//! allocator (in its own test binary, so no other test runs under it) counts the
//! allocations of the test's own thread while the same lines are projected again and
//! again.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

use rule_runtime::fields::{FieldTable, Fields};
use rule_runtime::json::JsonProjector;

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}

fn count() {
    if COUNTING.try_with(Cell::get).unwrap_or(false) {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    }
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn projecting_allocates_nothing_after_warm_up() {
    let deep = format!(
        "{{\"a\":{}{{\"b\":1}}{}}}",
        "[".repeat(100),
        "]".repeat(100)
    );
    let lines = [
        r#"{"@timestamp":"2024-05-01T12:34:56.789Z","event":{"category":["process"],"type":["start"]},"process":{"name":"rundll32.exe","args":["C:\\Windows\\System32\\rundll32.exe","comsvcs.dll,","MiniDump"],"pid":4242,"parent":{"name":"cmd.exe","pid":4100}},"host.os.family":"windows","user":{"name":"Administrator"}}"#,
        r#"{"pr\u006fcess.name":"a\u00e9\ud83d\ude00","process":{"name":"x","name":"y","args":[1,-0,1e2,18446744073709551616,null,[true,false]]},"a":[{"b":1},{"b":[2,{"c":3}]}],"a.b":"\"q\""}"#,
        r#"{"x":{"y":[1,2,3,{"z":"\n"}]},"process.parent":{"name":"explorer.exe"},"event.category":"network"}"#,
        &deep,
        // Errors allocate nothing either.
        r#"{"process":{"name":"\x"}}"#,
        r#"[1,2,3]"#,
        r#"{"a":1e400}"#,
    ];
    let table = FieldTable::new([
        "@timestamp",
        "event.category",
        "event.type",
        "process.name",
        "process.args",
        "process.pid",
        "process.parent.name",
        "process.parent.pid",
        "host.os.family",
        "user.name",
        "a.b",
        "a.b.c",
    ]);
    let mut projector = JsonProjector::new();
    let mut fields = Fields::new();
    let run = |projector: &mut JsonProjector, fields: &mut Fields| {
        let mut values = 0;
        for line in &lines {
            let ok = projector.project(line, &table, fields).is_ok();
            let view = fields.view(line);
            for slot in 0..table.len() {
                values += view.slot(slot).len();
            }
            values += usize::from(ok);
        }
        values
    };
    let warm = run(&mut projector, &mut fields);
    assert!(warm > 20, "{warm}");
    COUNTING.with(|c| c.set(true));
    let mut total = 0;
    for _ in 0..1000 {
        total += run(&mut projector, &mut fields);
    }
    COUNTING.with(|c| c.set(false));
    assert_eq!(total, warm * 1000);
    assert_eq!(ALLOCATIONS.load(Ordering::Relaxed), 0);
}
