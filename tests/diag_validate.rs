//! A stable-toolchain property run of the invariants the diagnostics'
//! cargo-fuzz targets check (fuzz/fuzz_targets/diag_*.rs): input
//! validation, the resolv.conf parser and the DNS decoder over
//! pseudo-random inputs.

use nodeconsole::diag::dns::{encode_query, QType};
use nodeconsole::diag::fuzz;

struct Xorshift(u64);
impl Xorshift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn text(rng: &mut Xorshift, alphabet: &[u8], max: usize) -> String {
    let len = rng.next() as usize % max;
    let bytes: Vec<u8> = (0..len)
        .map(|_| {
            if rng.next() % 8 == 0 {
                (rng.next() % 256) as u8
            } else {
                alphabet[rng.next() as usize % alphabet.len()]
            }
        })
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

#[test]
fn property_inputs_resolv_conf_and_dns_never_panic() {
    let mut rng = Xorshift(0x2545_F491_4F6C_DD1D);
    for _ in 0..30_000 {
        let h = text(&mut rng, b"0123456789.-abcXYZ_ :", 24);
        let p = text(&mut rng, b"0123456789 -", 8);
        let n = text(&mut rng, b"0123456789.-abcXYZ_", 80);
        fuzz::check_input(&h, &p, &n);
    }
    for _ in 0..10_000 {
        let t = text(
            &mut rng,
            b"nameserver search domain options timeout:attempts:ndots:#;\n 0123456789.:abc",
            300,
        );
        fuzz::check_resolv(&t);
    }
    // Valid queries, then mutated into responses.
    for i in 0..30_000u32 {
        let mut m = encode_query(i as u16, "mn.lab.example", QType::A).unwrap();
        m[2] |= 0x80;
        let extra = rng.next() as usize % 64;
        m.extend((0..extra).map(|_| (rng.next() % 256) as u8));
        for _ in 0..(rng.next() % 4) {
            let at = rng.next() as usize % m.len();
            m[at] = (rng.next() % 256) as u8;
        }
        fuzz::check_dns(&m);
        let cut = rng.next() as usize % m.len();
        fuzz::check_dns(&m[..cut]);
    }
}
