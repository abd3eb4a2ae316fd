//! Which proxy the runtime would use for a request, by the rules containerd and CRI-O apply.
//!
//! Both are Go programs whose HTTP clients take their proxy from `http.ProxyFromEnvironment`,
//! that is `golang.org/x/net/http/httpproxy`. Its rules, reproduced here:
//!
//! - `HTTPS_PROXY` (else `https_proxy`) for `https` requests, `HTTP_PROXY` (else `http_proxy`) for
//!   `http` ones; an empty value means no proxy. A value without a scheme is read as `http://...`.
//! - `localhost` and loopback addresses never go through a proxy.
//! - `NO_PROXY` (else `no_proxy`) is a comma-separated list: `*` disables the proxy for all;
//!   `a.b` matches `a.b` and every `x.a.b`; `.a.b` and `*.a.b` match only `x.a.b`; an IP address
//!   matches that address; a CIDR matches addresses in it (never a name); any entry may carry
//!   `:port`, and then matches only that port.
//!
//! What the runtime uses is its own environment (a systemd drop-in for crio or containerd), not
//! the shell's; `--https-proxy` / `--no-proxy` let a probe take the runtime's values.

use std::net::IpAddr;

use crate::url::{Url, split_host_port};

/// The proxy settings as read, with where each came from (for the report).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProxyEnv {
    /// `(value, variable)` for https requests.
    pub https_proxy: Option<(String, String)>,
    /// `(value, variable)` for http requests.
    pub http_proxy: Option<(String, String)>,
    /// `(value, variable)` of the exclusion list.
    pub no_proxy: Option<(String, String)>,
}

impl ProxyEnv {
    /// Reads the variables through `get` (the process environment in the binary), upper case
    /// first as Go does; empty values count as unset.
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> ProxyEnv {
        let any =
            |names: [&str; 2]| names.iter().find_map(|name| get(name).filter(|v| !v.is_empty()).map(|value| (value, name.to_string())));
        ProxyEnv {
            https_proxy: any(["HTTPS_PROXY", "https_proxy"]),
            http_proxy: any(["HTTP_PROXY", "http_proxy"]),
            no_proxy: any(["NO_PROXY", "no_proxy"]),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Matcher {
    All,
    Cidr {
        network: IpAddr,
        prefix: u8,
    },
    Ip {
        ip: IpAddr,
        port: Option<u16>,
    },
    /// `suffix` starts with a dot; `match_host`: the bare domain matches too.
    Domain {
        suffix: String,
        port: Option<u16>,
        match_host: bool,
    },
}

/// The compiled proxy rules.
#[derive(Debug, Clone, Default)]
pub struct ProxyRules {
    https: Option<Url>,
    http: Option<Url>,
    https_source: String,
    http_source: String,
    matchers: Vec<Matcher>,
}

/// The proxy chosen for one request, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProxyChoice {
    /// Go straight to the host.
    Direct {
        /// Why: no proxy set, loopback, or the `NO_PROXY` entry that matched.
        reason: String,
    },
    /// Through this proxy.
    Proxy {
        /// The proxy URL (its password is never shown: use [`Url::shown`]).
        url: Url,
        /// The variable it came from (`HTTPS_PROXY`, `--https-proxy`, ...).
        source: String,
    },
}

impl ProxyRules {
    /// Compiles the settings; an unparseable proxy value is an error (Go refuses it too, and
    /// every request then fails).
    pub fn new(env: &ProxyEnv) -> Result<ProxyRules, String> {
        let parse = |value: &Option<(String, String)>| -> Result<(Option<Url>, String), String> {
            match value {
                None => Ok((None, String::new())),
                Some((text, source)) => {
                    let url = Url::parse(text)
                        .or_else(|_| Url::parse(&format!("http://{text}")))
                        .map_err(|e| format!("{source}: invalid proxy address: {e}"))?;
                    let url = if url.explicit_port || url.port != 0 { url } else { Url { port: 80, ..url } };
                    Ok((Some(url), source.clone()))
                }
            }
        };
        let (https, https_source) = parse(&env.https_proxy)?;
        let (http, http_source) = parse(&env.http_proxy)?;
        let matchers = env.no_proxy.as_ref().map(|(list, _)| compile_no_proxy(list)).unwrap_or_default();
        Ok(ProxyRules { https, http, https_source, http_source, matchers })
    }

    /// The proxy for a request to `scheme://host:port`.
    pub fn choose(&self, scheme: &str, host: &str, port: u16) -> ProxyChoice {
        let (proxy, source) = match scheme {
            "https" => (&self.https, &self.https_source),
            "http" => (&self.http, &self.http_source),
            _ => (&None, &self.https_source),
        };
        let Some(proxy) = proxy else {
            return ProxyChoice::Direct { reason: format!("no {} proxy is set", scheme.to_ascii_uppercase()) };
        };
        let host = host.trim().to_ascii_lowercase();
        let ip = host.parse::<IpAddr>().ok();
        if host == "localhost" || ip.is_some_and(|ip| ip.is_loopback()) {
            return ProxyChoice::Direct { reason: format!("{host} is loopback: Go never proxies it") };
        }
        for matcher in &self.matchers {
            if let Some(entry) = matcher.matches(&host, ip, port) {
                return ProxyChoice::Direct { reason: format!("NO_PROXY entry `{entry}` matches {host}") };
            }
        }
        ProxyChoice::Proxy { url: proxy.clone(), source: source.clone() }
    }
}

impl Matcher {
    /// The entry, as written back, when it matches.
    fn matches(&self, host: &str, ip: Option<IpAddr>, port: u16) -> Option<String> {
        let port_ok = |p: &Option<u16>| p.is_none_or(|p| p == port);
        let with_port = |text: String, p: &Option<u16>| match p {
            Some(p) => format!("{text}:{p}"),
            None => text,
        };
        match self {
            Matcher::All => Some("*".into()),
            Matcher::Cidr { network, prefix } => ip.filter(|ip| in_cidr(*ip, *network, *prefix)).map(|_| format!("{network}/{prefix}")),
            Matcher::Ip { ip: entry, port: p } => (ip == Some(*entry) && port_ok(p)).then(|| with_port(entry.to_string(), p)),
            Matcher::Domain { suffix, port: p, match_host } => {
                let hit = host.ends_with(suffix.as_str()) || (*match_host && host == &suffix[1..]);
                (hit && port_ok(p)).then(|| with_port(if *match_host { suffix[1..].to_string() } else { suffix.clone() }, p))
            }
        }
    }
}

fn compile_no_proxy(list: &str) -> Vec<Matcher> {
    let mut matchers = Vec::new();
    for entry in list.split(',') {
        let entry = entry.trim().to_ascii_lowercase();
        if entry.is_empty() {
            continue;
        }
        if entry == "*" {
            return vec![Matcher::All];
        }
        if let Some((network, prefix)) = parse_cidr(&entry) {
            matchers.push(Matcher::Cidr { network, prefix });
            continue;
        }
        // host:port or [v6]:port; else the whole entry is the host
        let (host, port) = match split_host_port(&entry) {
            Some((host, port)) if !host.is_empty() => (host, port),
            Some(_) => continue, // ":80": no host part, Go ignores it
            None => (entry.clone(), None),
        };
        if let Ok(ip) = host.parse::<IpAddr>() {
            matchers.push(Matcher::Ip { ip, port });
            continue;
        }
        let host = host.strip_prefix("*.").map(|rest| format!(".{rest}")).unwrap_or(host);
        let (suffix, match_host) = if host.starts_with('.') { (host, false) } else { (format!(".{host}"), true) };
        matchers.push(Matcher::Domain { suffix, port, match_host });
    }
    matchers
}

fn parse_cidr(text: &str) -> Option<(IpAddr, u8)> {
    let (address, prefix) = text.split_once('/')?;
    let ip: IpAddr = address.parse().ok()?;
    let prefix: u8 = prefix.parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    (prefix <= max).then_some((ip, prefix))
}

fn in_cidr(ip: IpAddr, network: IpAddr, prefix: u8) -> bool {
    match (ip, network) {
        (IpAddr::V4(ip), IpAddr::V4(net)) => {
            let mask = if prefix == 0 { 0 } else { u32::MAX << (32 - u32::from(prefix)) };
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) => {
            let mask = if prefix == 0 { 0 } else { u128::MAX << (128 - u32::from(prefix)) };
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(https: Option<&str>, no_proxy: Option<&str>) -> ProxyRules {
        let env = ProxyEnv {
            https_proxy: https.map(|v| (v.to_string(), "HTTPS_PROXY".into())),
            http_proxy: None,
            no_proxy: no_proxy.map(|v| (v.to_string(), "NO_PROXY".into())),
        };
        ProxyRules::new(&env).unwrap()
    }

    /// `(host, port, proxied?)` for one NO_PROXY list, against httpproxy's own test table.
    fn check(no_proxy: &str, cases: &[(&str, u16, bool)]) {
        let rules = rules(Some("http://proxy.corp:3128"), Some(no_proxy));
        for &(host, port, proxied) in cases {
            let got = matches!(rules.choose("https", host, port), ProxyChoice::Proxy { .. });
            assert_eq!(got, proxied, "NO_PROXY={no_proxy:?} host {host}:{port}");
        }
    }

    #[test]
    fn no_proxy_follows_go_httpproxy() {
        // cases from golang.org/x/net/http/httpproxy's TestUseProxy and its documentation
        check(
            "foobar.com, .barbaz.net, *.qux.org, 10.0.0.0/8, 192.168.1.1, 2001:db8::/32, example.org:8443",
            &[
                ("foobar.com", 443, false),
                ("www.foobar.com", 443, false),
                ("foofoobar.com", 443, true),
                ("barbaz.net", 443, true), // a leading dot: subdomains only
                ("www.barbaz.net", 443, false),
                ("qux.org", 443, true), // *. is the same as a leading dot
                ("a.qux.org", 443, false),
                ("10.1.2.3", 443, false),
                ("11.1.2.3", 443, true),
                ("192.168.1.1", 443, false),
                ("192.168.1.2", 443, true),
                ("2001:db8::1", 443, false),
                ("example.org", 443, true), // the entry carries a port
                ("example.org", 8443, false),
                ("localhost", 443, false),
                ("127.0.0.1", 443, false),
                ("::1", 443, false),
            ],
        );
        // a CIDR never matches a name, even one that resolves into it
        check("10.0.0.0/8", &[("registry.in.ten.net", 443, true)]);
        check("*", &[("anything.example", 443, false)]);
        check(" , :80 ,", &[("anything.example", 443, true)]);
        check("Registry.Lab.Test", &[("registry.lab.test", 443, false)]);
    }

    #[test]
    fn chooses_by_scheme_and_reads_upper_case_first() {
        let env = ProxyEnv::from_env(|name| match name {
            "HTTPS_PROXY" => Some("proxy.corp:3128".into()),
            "https_proxy" => Some("http://ignored:1".into()),
            "no_proxy" => Some(".internal".into()),
            _ => None,
        });
        assert_eq!(env.https_proxy.as_ref().map(|(_, s)| s.as_str()), Some("HTTPS_PROXY"));
        let rules = ProxyRules::new(&env).unwrap();
        match rules.choose("https", "123456789012.dkr.ecr.us-east-1.amazonaws.com", 443) {
            ProxyChoice::Proxy { url, source } => {
                assert_eq!((url.scheme.as_str(), url.host.as_str(), url.port), ("http", "proxy.corp", 3128), "no scheme reads as http://");
                assert_eq!(source, "HTTPS_PROXY");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(rules.choose("http", "169.254.169.254", 80), ProxyChoice::Direct { .. }), "HTTP_PROXY is unset");
        assert!(matches!(rules.choose("https", "registry.internal", 443), ProxyChoice::Direct { .. }));
        let empty = ProxyEnv::from_env(|name| (name == "HTTPS_PROXY").then(String::new));
        assert_eq!(empty.https_proxy, None, "an empty value is unset");
    }

    #[test]
    fn direct_reasons_name_the_entry() {
        let rules = rules(Some("http://proxy:3128"), Some("10.0.0.0/8,.amazonaws.com"));
        assert_eq!(
            rules.choose("https", "api.ecr.us-east-1.amazonaws.com", 443),
            ProxyChoice::Direct { reason: "NO_PROXY entry `.amazonaws.com` matches api.ecr.us-east-1.amazonaws.com".into() }
        );
    }
}
