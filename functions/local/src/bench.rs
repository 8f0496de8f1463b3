//! Benchmarks: see `run`.

#[derive(clap::Args)]
pub struct Options {}

pub async fn run(_options: Options, _secret: &str) -> anyhow::Result<()> {
    anyhow::bail!("not yet")
}
