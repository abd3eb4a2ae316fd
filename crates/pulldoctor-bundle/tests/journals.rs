//! Node journals through the public reader: any kubelet line made from arbitrary names and error
//! texts (quotes, backslashes, newlines escaped as Go escapes them) reads back to the same pod,
//! container and error; arbitrary text as a journal never panics.

use std::path::Path;

use proptest::prelude::*;
use pulldoctor_bundle::{FileError, ReadOptions, read_contents};

/// Go's `%q` (strconv.Quote) for the characters the strategy makes.
fn go_quote(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn read(name: &str, text: &str) -> pulldoctor_bundle::Bundle {
    read_contents(std::iter::once((Path::new(name), Ok::<&[u8], FileError>(text.as_bytes()))), &ReadOptions::default()).unwrap()
}

proptest! {
    #[test]
    fn a_pod_worker_line_reads_back(
        namespace in "[a-z][a-z0-9-]{0,20}",
        pod in "[a-z][a-z0-9-]{0,30}",
        container in "[a-z][a-z0-9-]{0,20}",
        error in "rpc error: [ -~\t\n]{1,120}",
        host in "ip-10-0-[0-9]{1,3}-[0-9]{1,3}",
    ) {
        // kubelet: the error quoted inside the reason, the whole quoted again as `err`
        let err = format!("failed to \"StartContainer\" for {} with ErrImagePull: {}", go_quote(&container), go_quote(&error));
        let line = format!(
            "Aug 25 11:12:03.204113 {host} kubenswrapper[2345]: E0825 11:12:03.203987    2345 pod_workers.go:1301] \"Error syncing pod, skipping\" err={} pod=\"{namespace}/{pod}\" podUID=\"u\"\n",
            go_quote(&err)
        );
        let bundle = read("kubelet.log", &line);
        let [record] = &bundle.model.node_log_errors[..] else { panic!("{line}: {:?}", bundle.model.node_log_errors) };
        prop_assert_eq!(record.namespace.as_deref(), Some(namespace.as_str()));
        prop_assert_eq!(record.pod.as_deref(), Some(pod.as_str()));
        prop_assert_eq!(record.container.as_deref(), Some(container.as_str()));
        prop_assert_eq!(&record.message, &error);
        prop_assert_eq!(&record.host, &host);
    }

    #[test]
    fn arbitrary_text_as_a_journal_never_panics(text in "(Aug 25 11:12:03 h kubelet\\[1\\]: [ -~]{0,200}\n){0,5}[ -~\n]{0,300}") {
        let bundle = read("kubelet.log", &text);
        prop_assert!(bundle.model.unreadable_files.iter().all(|f| f.file == "kubelet.log"));
    }
}
