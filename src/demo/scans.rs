//! Small, valid scans for the demonstration's electronic files (پرونده الکترونیک): a one-page
//! PDF (written by hand: objects, a content stream and an exact cross-reference table) and a PNG
//! (written by hand too: palette image, zlib "stored" blocks, CRC-32 and Adler-32), each showing
//! a page of a document with its number and the office's round stamp. The attachment use case
//! recognises them by their first bytes (`documents::sniff`) like any upload; each one carries
//! its own document number, so no two claims share a file (the store keeps one file per hash).

/// What a scan shows.
pub struct Page<'a> {
    /// Title in Latin letters (the PDF's built-in font has no Persian glyphs), e.g.
    /// "Discharge summary".
    pub title: &'a str,
    /// The provider's document number or the case's number.
    pub number: &'a str,
    /// Jalali date, `1405-08-12`.
    pub date: &'a str,
    /// The patient's national code.
    pub national_code: &'a str,
    /// Lines of body text (ASCII).
    pub lines: &'a [String],
}

/// A one-page A5 PDF 1.4 with the page's text and a red stamp «SCANNED» (اسکن شد).
pub fn pdf(page: &Page<'_>) -> Vec<u8> {
    let mut content = String::new();
    // Header band and title.
    content.push_str("0.15 0.2 0.35 rg 30 540 360 30 re f\n");
    content.push_str(&text(40, 550, 14, "1 1 1", "Social Security Organization - Tamin Ejtemaei"));
    content.push_str(&text(40, 510, 16, "0 0 0", page.title));
    content.push_str(&text(40, 488, 10, "0 0 0", &format!("Document no. {}", page.number)));
    content.push_str(&text(
        40,
        474,
        10,
        "0 0 0",
        &format!("Date {}   National code {}", page.date, page.national_code),
    ));
    content.push_str("0.6 0.6 0.6 RG 0.8 w 30 462 m 390 462 l S\n");
    for (i, line) in page.lines.iter().take(20).enumerate() {
        content.push_str(&text(40, 440 - 16 * i as i32, 10, "0.1 0.1 0.1", line));
    }
    // The stamp: a red double circle (four Bézier arcs each) with its words.
    content.push_str("0.75 0.1 0.15 RG 2 w\n");
    content.push_str(&circle(320.0, 110.0, 48.0));
    content.push_str("1 w\n");
    content.push_str(&circle(320.0, 110.0, 42.0));
    content.push_str(&text(290, 114, 10, "0.75 0.1 0.15", "SCANNED"));
    content.push_str(&text(291, 100, 8, "0.75 0.1 0.15", page.date));
    content.push_str("0.2 0.2 0.5 RG 1 w 60 90 m 90 120 110 70 140 100 c 160 120 170 80 190 95 c S\n");

    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 420 595] /Contents 4 0 R \
         /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_string(),
        format!("<< /Length {} >>\nstream\n{content}endstream", content.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_string(),
    ];
    let mut out = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    // Each cross-reference entry is exactly 20 bytes: 10-digit offset, generation, type, EOL.
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1)
            .as_bytes(),
    );
    out
}

fn text(x: i32, y: i32, size: u32, rgb: &str, s: &str) -> String {
    let escaped: String = s
        .chars()
        .map(|c| if c.is_ascii() && !c.is_ascii_control() { c } else { '?' })
        .collect::<String>()
        .replace('\\', "\\\\")
        .replace('(', "\\(")
        .replace(')', "\\)");
    format!("BT {rgb} rg /F1 {size} Tf {x} {y} Td ({escaped}) Tj ET\n")
}

/// A circle as four cubic Bézier arcs (κ = 0.5523), stroked.
fn circle(cx: f32, cy: f32, r: f32) -> String {
    let k = 0.5523 * r;
    format!(
        "{x0:.1} {cy:.1} m {a:.1} {b:.1} {c:.1} {d:.1} {cx:.1} {t:.1} c \
         {e:.1} {d:.1} {f:.1} {b:.1} {x1:.1} {cy:.1} c \
         {f:.1} {g:.1} {e:.1} {h:.1} {cx:.1} {u:.1} c \
         {c:.1} {h:.1} {a:.1} {g:.1} {x0:.1} {cy:.1} c S\n",
        x0 = cx + r,
        a = cx + r,
        b = cy + k,
        c = cx + k,
        d = cy + r,
        t = cy + r,
        e = cx - k,
        f = cx - r,
        x1 = cx - r,
        g = cy - k,
        h = cy - r,
        u = cy - r,
    )
}

const WIDTH: usize = 200;
const HEIGHT: usize = 280;
// Palette indices.
const PAPER: u8 = 0;
const INK_LIGHT: u8 = 1;
const INK: u8 = 2;
const STAMP: u8 = 3;

/// A 200×280 PNG (2-bit palette) of a scanned page: letterhead, lines of writing whose lengths
/// come from the document number, a barcode of the number and the office's red round stamp.
pub fn png(page: &Page<'_>) -> Vec<u8> {
    let mut px = vec![PAPER; WIDTH * HEIGHT];
    let mut rect = |x0: usize, y0: usize, w: usize, h: usize, c: u8| {
        for y in y0..(y0 + h).min(HEIGHT) {
            for x in x0..(x0 + w).min(WIDTH) {
                px[y * WIDTH + x] = c;
            }
        }
    };
    // Letterhead band and a frame.
    rect(10, 10, 180, 18, INK);
    rect(10, 10, 1, 260, INK_LIGHT);
    rect(189, 10, 1, 260, INK_LIGHT);
    rect(10, 269, 180, 1, INK_LIGHT);
    // A barcode of the document number: one bar per bit of its bytes.
    let mut seed = fnv(page.number.as_bytes()) ^ fnv(page.national_code.as_bytes());
    let mut x = 20;
    for b in page.number.bytes().take(12) {
        for bit in 0..6 {
            let w = if (b >> bit) & 1 == 1 { 2 } else { 1 };
            rect(x, 36, w, 14, INK);
            x += w + 1;
        }
    }
    // Lines of "handwriting" (right-aligned, as Persian text is), lengths from the seed.
    for row in 0..14 {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let len = 40 + (seed >> 33) as usize % 125;
        rect(180 - len, 62 + row * 11, len, 3, if row % 4 == 0 { INK } else { INK_LIGHT });
    }
    // The stamp: a red ring with a bar across, bottom left.
    let (cx, cy, r_out, r_in) = (60i64, 225i64, 30i64, 25i64);
    for y in (cy - r_out)..=(cy + r_out) {
        for x in (cx - r_out)..=(cx + r_out) {
            let d2 = (x - cx).pow(2) + (y - cy).pow(2);
            let ring = d2 <= r_out * r_out && d2 >= r_in * r_in;
            let bar = (y - cy).abs() <= 3 && (x - cx).abs() <= r_in - 4;
            if ring || bar {
                px[y as usize * WIDTH + x as usize] = STAMP;
            }
        }
    }
    // Signature.
    for i in 0..60usize {
        let y = 225 + ((i as f32 / 6.0).sin() * 8.0) as i64;
        px[y as usize * WIDTH + 110 + i] = INK;
    }

    // Scanlines: filter byte 0, then four 2-bit pixels per byte, most significant first.
    let row_bytes = WIDTH.div_ceil(4);
    let mut raw = Vec::with_capacity(HEIGHT * (row_bytes + 1));
    for y in 0..HEIGHT {
        raw.push(0);
        for chunk in px[y * WIDTH..(y + 1) * WIDTH].chunks(4) {
            let mut byte = 0u8;
            for (i, p) in chunk.iter().enumerate() {
                byte |= p << (6 - 2 * i);
            }
            raw.push(byte);
        }
    }

    let mut out = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&(WIDTH as u32).to_be_bytes());
    ihdr.extend_from_slice(&(HEIGHT as u32).to_be_bytes());
    ihdr.extend_from_slice(&[2, 3, 0, 0, 0]); // bit depth 2, palette, deflate, filter 0, no interlace
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"PLTE", &[255, 255, 255, 170, 170, 180, 30, 35, 60, 200, 25, 40]);
    chunk(&mut out, b"IDAT", &zlib_stored(&raw));
    chunk(&mut out, b"IEND", &[]);
    out
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325u64, |h, b| (h ^ *b as u64).wrapping_mul(0x100000001b3))
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// A zlib stream of "stored" (uncompressed) deflate blocks: valid everywhere, no compressor.
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = if data.is_empty() { vec![&[][..]] } else { data.chunks(65_535).collect() };
    for (i, block) in blocks.iter().enumerate() {
        out.push(u8::from(i + 1 == blocks.len())); // BFINAL on the last, BTYPE 00
        let len = block.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for x in data {
        a = (a + *x as u32) % 65_521;
        b = (b + a) % 65_521;
    }
    out.extend_from_slice(&((b << 16) | a).to_be_bytes());
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for b in bytes {
        crc ^= *b as u32;
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page() -> Page<'static> {
        Page {
            title: "Prescription",
            number: "RX-1405-000123",
            date: "1405-08-12",
            national_code: "0012345679",
            lines: &[],
        }
    }

    #[test]
    fn the_store_recognises_both_formats() {
        assert_eq!(crate::documents::sniff(&pdf(&page())), Some("application/pdf"));
        assert_eq!(crate::documents::sniff(&png(&page())), Some("image/png"));
    }

    #[test]
    fn crc_and_adler_match_known_values() {
        // CRC-32 of "IEND" as every PNG ends with it.
        assert_eq!(crc32(b"IEND"), 0xAE42_6082);
        assert_eq!(&zlib_stored(b"Wikipedia")[2 + 5 + 9..], &0x11E6_0398u32.to_be_bytes());
    }

    #[test]
    fn the_pdf_cross_reference_points_at_its_objects() {
        let bytes = pdf(&page());
        let at = |needle: &[u8]| bytes.windows(needle.len()).rposition(|w| w == needle).unwrap();
        let tail = std::str::from_utf8(&bytes[at(b"startxref\n") + 10..]).unwrap();
        let xref_at: usize = tail.lines().next().unwrap().parse().unwrap();
        let table = std::str::from_utf8(&bytes[xref_at..]).unwrap();
        assert!(table.starts_with("xref\n0 6\n"));
        for (n, line) in table.lines().skip(3).take(5).enumerate() {
            let offset: usize = line[..10].parse().unwrap();
            assert!(bytes[offset..].starts_with(format!("{} 0 obj", n + 1).as_bytes()), "object {}", n + 1);
        }
    }

    #[test]
    fn different_documents_make_different_files() {
        let other = Page { number: "RX-1405-000124", ..page() };
        assert_ne!(png(&page()), png(&other));
        assert_ne!(pdf(&page()), pdf(&other));
    }
}
