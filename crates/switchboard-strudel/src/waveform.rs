//! A waveform picture of rendered audio: one column per slice of time, its
//! peak level drawn around the middle line, as a small PNG thumbnail.

use crate::render::Audio;

/// Thumbnail size.
pub const WIDTH: u32 = 400;
/// Thumbnail size.
pub const HEIGHT: u32 = 100;

/// The waveform of `audio` as PNG bytes (dark background, light trace).
pub fn waveform_png(audio: &Audio) -> Vec<u8> {
    let (width, height) = (WIDTH as usize, HEIGHT as usize);
    let mut pixels = vec![[24u8, 24, 32]; width * height];
    let frames = audio.frames.len().max(1);
    for x in 0..width {
        let from = x * frames / width;
        let to = ((x + 1) * frames / width)
            .max(from + 1)
            .min(audio.frames.len());
        let peak = audio.frames[from.min(audio.frames.len())..to]
            .iter()
            .flat_map(|f| f.iter())
            .fold(0.0f32, |m, s| m.max(s.abs()));
        let half = (peak.min(1.0) * (height as f32 / 2.0 - 1.0)).round() as usize;
        let middle = height / 2;
        for y in middle.saturating_sub(half)..=(middle + half).min(height - 1) {
            pixels[y * width + x] = [120, 200, 255];
        }
    }
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, WIDTH, HEIGHT);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    if let Ok(mut writer) = encoder.write_header() {
        let data: Vec<u8> = pixels.into_iter().flatten().collect();
        let _ = writer.write_image_data(&data);
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_a_png_of_the_right_size() {
        let audio = Audio {
            frames: (0..8000).map(|i| [((i as f32) / 100.0).sin(); 2]).collect(),
            sample_rate: 8000,
            events: 1,
            unknown_sounds: Vec::new(),
        };
        let bytes = waveform_png(&audio);
        assert_eq!(&bytes[1..4], b"PNG");
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let reader = decoder.read_info().expect("valid png");
        assert_eq!((reader.info().width, reader.info().height), (WIDTH, HEIGHT));
    }
}
