//! Rebuilds the server when a migration is added: `embed_migrations!`
//! reads the directory at compile time, and cargo does not watch it.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
