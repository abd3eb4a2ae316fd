//! What a check is: the [`Check`] trait, its [`CheckInfo`] and the [`declare_check!`] macro that
//! turns a check's doc comment into its user documentation (`pulldoctor explain`).

use crate::context::{Context, Findings};
use crate::report::Layer;

/// What a check is, for `pulldoctor explain` and for the meta-tests.
pub struct CheckInfo {
    pub name: &'static str,
    pub layer: Layer,
    /// The cause codes the check can produce.
    pub codes: &'static [pulldoctor_model::Code],
    /// The check's doc comment: `## What it checks`, `## Why it breaks pulls`, `## Evidence`,
    /// `## Fix and its risk`, `## Known limits`.
    pub docs: &'static str,
}

pub trait Check: Sync {
    fn info(&self) -> &'static CheckInfo;
    fn run(&self, cx: &Context, out: &mut Findings);
}

/// Declare a check: its doc comment becomes its user documentation.
#[macro_export]
macro_rules! declare_check {
    ($(#[doc = $doc:expr])* pub $name:ident, name: $id:literal, layer: $layer:ident, codes: [$($code:path),* $(,)?] $(,)?) => {
        $(#[doc = $doc])*
        pub struct $name;
        impl $name {
            pub const INFO: $crate::check::CheckInfo = $crate::check::CheckInfo {
                name: $id,
                layer: $crate::report::Layer::$layer,
                codes: &[$($code),*],
                docs: concat!($($doc, "\n"),*),
            };
        }
    };
}
