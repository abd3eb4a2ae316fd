//! Read a bundle and print what the reader found: `cargo run -p pulldoctor-bundle --example read -- DIR`.
fn main() {
    let dir = std::env::args().nth(1).expect("usage: read DIR");
    match pulldoctor_bundle::read_bundle(std::path::Path::new(&dir), &Default::default()) {
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
