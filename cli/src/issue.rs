//! `mdl issue`: a test issuer PKI, a reader PKI and an mDL credential, written to a directory
//! for `mdl holder` and `mdl reader`.

use std::path::Path;
use std::process::ExitCode;

use mdl_proximity::issuer::pki::TestCertificate;
use zeroize::Zeroizing;

use crate::cli::IssueArgs;
use crate::error::{CliResult, Context as _};
use crate::output::outln;
use crate::rng::CliRng;
use crate::setup::{device_auth_name, element_count, issue_test_mdl, unix_now, Curves};

/// The files `mdl issue` writes, in the order it writes them.
const FILES: [&str; 6] = [
    "iaca.pem",
    "ds.pem",
    "reader-root.pem",
    "reader.pem",
    "reader-key.cose",
    "credential.cbor",
];

/// Runs `mdl issue`.
pub(crate) fn run(args: &IssueArgs) -> ExitCode {
    match issue(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => e.report(),
    }
}

fn subject(cert: &TestCertificate) -> String {
    cert.certificate().tbs_certificate().subject().to_string()
}

fn issue(args: &IssueArgs) -> CliResult<()> {
    let curves = Curves::for_curve(args.curve.curve());
    let method = args.device_auth.method();
    let mut rng = CliRng::new(args.seed);
    let issued = issue_test_mdl(curves, method, unix_now(), &mut rng)?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;

    let pem = |c: &TestCertificate| {
        c.to_pem()
            .map(|p| Zeroizing::new(p.into_bytes()))
            .context("PEM encoding")
    };
    let element_count = element_count(&issued.credential);
    // Private keys stay in zeroized buffers until written.
    let rows: [(&str, Zeroizing<Vec<u8>>, String, bool); 6] = [
        (
            FILES[0],
            pem(&issued.issuer.iaca)?,
            format!(
                "IACA root certificate {} ({}): the reader's --trust",
                subject(&issued.issuer.iaca),
                curves.signature
            ),
            false,
        ),
        (
            FILES[1],
            pem(&issued.issuer.ds)?,
            format!(
                "Document Signer certificate {} (also inside the credential's issuerAuth)",
                subject(&issued.issuer.ds)
            ),
            false,
        ),
        (
            FILES[2],
            pem(&issued.reader.root)?,
            format!(
                "reader root CA {}: the holder's --trust-reader",
                subject(&issued.reader.root)
            ),
            false,
        ),
        (
            FILES[3],
            pem(&issued.reader.reader)?,
            format!(
                "reader authentication certificate {}: the reader's --reader-cert",
                subject(&issued.reader.reader)
            ),
            false,
        ),
        (
            FILES[4],
            issued.reader.reader_key.to_cose_bytes(),
            "reader private key, a COSE_Key with d (CBOR): the reader's --reader-key".to_owned(),
            true,
        ),
        (
            FILES[5],
            issued.credential.to_bytes(),
            format!(
                "mDL credential ({element_count} elements; device key {} for device{}, private \
                 key included): the holder's --credential",
                issued.credential.device_key.curve(),
                if method == mdl_proximity::issuer::DeviceAuthMethod::Mac {
                    "Mac"
                } else {
                    "Signature"
                }
            ),
            true,
        ),
    ];
    let width = FILES.iter().map(|f| f.len()).max().unwrap_or(0);
    outln!(
        "issued a test mDL (device authentication: {}) into {}:",
        device_auth_name(method),
        args.out.display()
    );
    for (name, bytes, what, secret) in rows {
        write_file(&args.out.join(name), &bytes, secret)?;
        outln!("  {name:<width$}  {what}");
    }
    Ok(())
}

/// Writes a file; files holding private keys are readable by their owner only (Unix).
fn write_file(path: &Path, bytes: &[u8], secret: bool) -> CliResult<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = secret;
    let mut file = options
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(bytes)
        .with_context(|| format!("writing {}", path.display()))
}
