//! A small RGB raster with anti-aliased lines and bitmap text, enough to draw the PNG charts.

use crate::chart::Rgb;
use crate::font::{GLYPH_ADVANCE, GLYPH_HEIGHT, GLYPH_WIDTH, is_ink, text_width};

/// An 8-bit RGB image, rows top to bottom.
pub(crate) struct Canvas {
    width: u32,
    height: u32,
    rgb: Vec<u8>,
}

impl Canvas {
    pub fn new(width: u32, height: u32, background: Rgb) -> Self {
        let pixel_count = width as usize * height as usize;
        let mut rgb = Vec::with_capacity(pixel_count * 3);
        for _ in 0..pixel_count {
            rgb.extend_from_slice(&[background.red, background.green, background.blue]);
        }
        Canvas { width, height, rgb }
    }

    pub fn width(&self) -> u32 {
        self.width
    }

    pub fn height(&self) -> u32 {
        self.height
    }

    /// Returns the pixels as RGB bytes, row by row, the layout PNG colour type RGB expects.
    pub fn into_rgb(self) -> Vec<u8> {
        self.rgb
    }

    /// Mixes `color` into one pixel with weight `coverage` in 0..=1. Pixels outside the canvas
    /// are ignored.
    fn blend(&mut self, x: i64, y: i64, color: Rgb, coverage: f64) {
        if x < 0 || y < 0 || x >= i64::from(self.width) || y >= i64::from(self.height) {
            return;
        }
        let coverage = coverage.clamp(0.0, 1.0);
        let offset = (y as usize * self.width as usize + x as usize) * 3;
        for (channel, target) in [color.red, color.green, color.blue].into_iter().enumerate() {
            let current = f64::from(self.rgb[offset + channel]);
            let mixed = current + (f64::from(target) - current) * coverage;
            self.rgb[offset + channel] = mixed.round() as u8;
        }
    }

    /// Draws an anti-aliased line of `width` pixels with round ends.
    ///
    /// Each pixel near the segment is covered by `half width + 0.5 - distance from its centre`,
    /// clamped to 0..=1, which approximates the true area coverage within a few percent.
    pub fn draw_line(&mut self, from: (f64, f64), to: (f64, f64), width: f64, color: Rgb) {
        let half_width = width / 2.0;
        let reach = half_width + 1.0;
        let first_column = (from.0.min(to.0) - reach).floor() as i64;
        let last_column = (from.0.max(to.0) + reach).ceil() as i64;
        let first_row = (from.1.min(to.1) - reach).floor() as i64;
        let last_row = (from.1.max(to.1) + reach).ceil() as i64;

        for y in first_row..=last_row {
            for x in first_column..=last_column {
                let center = (x as f64 + 0.5, y as f64 + 0.5);
                let distance = distance_to_segment(center, from, to);
                let coverage = half_width + 0.5 - distance;
                if coverage > 0.0 {
                    self.blend(x, y, color, coverage);
                }
            }
        }
    }

    /// Draws `text` with its top-left corner at (`left`, `top`), each font pixel `scale` canvas
    /// pixels wide.
    pub fn draw_text(&mut self, left: f64, top: f64, text: &str, scale: usize, color: Rgb) {
        let left = left.round() as i64;
        let top = top.round() as i64;
        for (position, character) in text.chars().enumerate() {
            let glyph_left = left + (position * GLYPH_ADVANCE * scale) as i64;
            for row in 0..GLYPH_HEIGHT {
                for column in 0..GLYPH_WIDTH {
                    if is_ink(character, column, row) {
                        let x = glyph_left + (column * scale) as i64;
                        let y = top + (row * scale) as i64;
                        self.fill_block(x, y, scale, color);
                    }
                }
            }
        }
    }

    /// Draws `text` centred on (`center_x`, `center_y`).
    pub fn draw_text_centered(
        &mut self,
        center_x: f64,
        center_y: f64,
        text: &str,
        scale: usize,
        color: Rgb,
    ) {
        let (width, height) = text_size_px(text, scale);
        self.draw_text(
            center_x - width / 2.0,
            center_y - height / 2.0,
            text,
            scale,
            color,
        );
    }

    /// Draws `text` rotated a quarter turn anticlockwise, read from bottom to top, centred on
    /// (`center_x`, `center_y`).
    pub fn draw_text_vertical_centered(
        &mut self,
        center_x: f64,
        center_y: f64,
        text: &str,
        scale: usize,
        color: Rgb,
    ) {
        // After rotation the text's width runs up the canvas and its height runs right.
        let (length, thickness) = text_size_px(text, scale);
        let left = (center_x - thickness / 2.0).round() as i64;
        let bottom = (center_y + length / 2.0).round() as i64;

        for (position, character) in text.chars().enumerate() {
            let glyph_start = (position * GLYPH_ADVANCE * scale) as i64;
            for row in 0..GLYPH_HEIGHT {
                for column in 0..GLYPH_WIDTH {
                    if is_ink(character, column, row) {
                        // Font column c becomes distance c up from the bottom, and font row r
                        // becomes distance r right from the left edge.
                        let x = left + (row * scale) as i64;
                        let y = bottom - glyph_start - ((column + 1) * scale) as i64;
                        self.fill_block(x, y, scale, color);
                    }
                }
            }
        }
    }

    fn fill_block(&mut self, left: i64, top: i64, size: usize, color: Rgb) {
        for dy in 0..size as i64 {
            for dx in 0..size as i64 {
                self.blend(left + dx, top + dy, color, 1.0);
            }
        }
    }
}

/// Returns the width and height in canvas pixels of `text` drawn at `scale`.
pub(crate) fn text_size_px(text: &str, scale: usize) -> (f64, f64) {
    (
        (text_width(text) * scale) as f64,
        (GLYPH_HEIGHT * scale) as f64,
    )
}

fn distance_to_segment(point: (f64, f64), from: (f64, f64), to: (f64, f64)) -> f64 {
    let segment = (to.0 - from.0, to.1 - from.1);
    let length_squared = segment.0 * segment.0 + segment.1 * segment.1;
    let along = if length_squared == 0.0 {
        0.0
    } else {
        (((point.0 - from.0) * segment.0 + (point.1 - from.1) * segment.1) / length_squared)
            .clamp(0.0, 1.0)
    };
    let nearest = (from.0 + along * segment.0, from.1 + along * segment.1);
    (point.0 - nearest.0).hypot(point.1 - nearest.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const WHITE: Rgb = Rgb::new(255, 255, 255);
    const BLACK: Rgb = Rgb::new(0, 0, 0);

    fn pixel(canvas: &Canvas, x: usize, y: usize) -> [u8; 3] {
        let offset = (y * canvas.width as usize + x) * 3;
        [
            canvas.rgb[offset],
            canvas.rgb[offset + 1],
            canvas.rgb[offset + 2],
        ]
    }

    #[test]
    fn draw_line_inks_pixel_on_line() {
        let mut canvas = Canvas::new(10, 10, WHITE);
        canvas.draw_line((0.0, 5.0), (10.0, 5.0), 2.0, BLACK);
        assert_eq!(pixel(&canvas, 3, 4), [0, 0, 0]);
    }

    #[test]
    fn draw_line_leaves_far_pixel_blank() {
        let mut canvas = Canvas::new(10, 10, WHITE);
        canvas.draw_line((0.0, 5.0), (10.0, 5.0), 2.0, BLACK);
        assert_eq!(pixel(&canvas, 3, 1), [255, 255, 255]);
    }

    #[test]
    fn draw_line_outside_canvas_is_ignored() {
        let mut canvas = Canvas::new(4, 4, WHITE);
        canvas.draw_line((-50.0, -50.0), (-40.0, -40.0), 2.0, BLACK);
        assert!(canvas.rgb.iter().all(|&byte| byte == 255));
    }

    #[test]
    fn draw_text_inks_top_of_letter_t() {
        let mut canvas = Canvas::new(20, 20, WHITE);
        canvas.draw_text(1.0, 1.0, "T", 1, BLACK);
        assert_eq!(pixel(&canvas, 1, 1), [0, 0, 0]);
    }

    #[test]
    fn draw_text_vertical_bar_of_t_on_left() {
        // Rotated anticlockwise, the bar of the T (font row 0) becomes the leftmost column.
        let mut canvas = Canvas::new(20, 20, WHITE);
        canvas.draw_text_vertical_centered(10.0, 10.0, "T", 1, BLACK);
        let leftmost_column_inked = (0..20).any(|y| pixel(&canvas, 7, y) == [0, 0, 0]);
        assert!(leftmost_column_inked);
    }

    #[test]
    fn distance_to_segment_beyond_end() {
        assert_eq!(distance_to_segment((5.0, 4.0), (0.0, 0.0), (2.0, 0.0)), 5.0);
    }
}
