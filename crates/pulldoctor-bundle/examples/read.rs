//! Read bundle files and print what the reader found:
//! `cargo run -p pulldoctor-bundle --example read -- DIR/aws/*.json DIR/k8s/*.json`.
//! (The example reads the files it is given; walking a directory is the binary's `pulldoctor::fs`.)
use std::path::PathBuf;

fn main() {
    let paths: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    if paths.is_empty() {
        eprintln!("usage: read FILE...");
        std::process::exit(2);
    }
    let files: Vec<(PathBuf, Result<Vec<u8>, pulldoctor_bundle::FileError>)> = paths
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path).map_err(|e| pulldoctor_bundle::FileError::whole(&path, format!("cannot read: {e}")));
            (path, bytes)
        })
        .collect();
    let given = files.iter().map(|(path, bytes)| (path.as_path(), bytes.as_deref().map_err(Clone::clone)));
    match pulldoctor_bundle::read_contents(given, &Default::default()) {
        Ok(bundle) => {
            let m = &bundle.model;
            println!("files {} inputs {:?}", bundle.files_read, m.inputs);
            println!(
                "vpcs {} subnets {} rtbs {} nats {} igws {} vpce {} sgs {} acls {} instances {} pods {} events {} nodes {} secrets {}",
                m.vpcs.len(),
                m.subnets.len(),
                m.route_tables.len(),
                m.nat_gateways.len(),
                m.internet_gateways.len(),
                m.vpc_endpoints.len(),
                m.security_groups.len(),
                m.network_acls.len(),
                m.instances.len(),
                m.pods.len(),
                m.events.len(),
                m.nodes.len(),
                m.secrets.len()
            );
            for s in &bundle.skipped {
                println!("skipped {}: {}", s.file.display(), s.reason);
            }
            for n in &bundle.notes {
                println!("note {n}");
            }
        }
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2)
        }
    }
}
