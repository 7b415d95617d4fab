//! A 5x7 bitmap font for the PNG charts, so no font file is needed.
//!
//! It covers the letters A-Z, the digits and `. - = ( ) : _ / , + % '`. Lowercase letters are
//! drawn as capitals, and any other character is drawn as `?`.

/// Glyph width in font pixels.
pub(crate) const GLYPH_WIDTH: usize = 5;
/// Glyph height in font pixels.
pub(crate) const GLYPH_HEIGHT: usize = 7;
/// Horizontal distance from one glyph to the next: the glyph plus one blank column.
pub(crate) const GLYPH_ADVANCE: usize = GLYPH_WIDTH + 1;

type Glyph = [&'static str; GLYPH_HEIGHT];

const BLANK: Glyph = [
    "     ", "     ", "     ", "     ", "     ", "     ", "     ",
];
const UNKNOWN: Glyph = [
    " ### ", "#   #", "    #", "   # ", "  #  ", "     ", "  #  ",
];

/// Rows of each glyph, top first; `#` is ink.
const GLYPHS: [(char, Glyph); 50] = [
    (
        'A',
        [
            " ### ", "#   #", "#   #", "#####", "#   #", "#   #", "#   #",
        ],
    ),
    (
        'B',
        [
            "#### ", "#   #", "#   #", "#### ", "#   #", "#   #", "#### ",
        ],
    ),
    (
        'C',
        [
            " ### ", "#   #", "#    ", "#    ", "#    ", "#   #", " ### ",
        ],
    ),
    (
        'D',
        [
            "#### ", "#   #", "#   #", "#   #", "#   #", "#   #", "#### ",
        ],
    ),
    (
        'E',
        [
            "#####", "#    ", "#    ", "#### ", "#    ", "#    ", "#####",
        ],
    ),
    (
        'F',
        [
            "#####", "#    ", "#    ", "#### ", "#    ", "#    ", "#    ",
        ],
    ),
    (
        'G',
        [
            " ### ", "#   #", "#    ", "# ###", "#   #", "#   #", " ####",
        ],
    ),
    (
        'H',
        [
            "#   #", "#   #", "#   #", "#####", "#   #", "#   #", "#   #",
        ],
    ),
    (
        'I',
        [
            " ### ", "  #  ", "  #  ", "  #  ", "  #  ", "  #  ", " ### ",
        ],
    ),
    (
        'J',
        [
            "  ###", "   # ", "   # ", "   # ", "   # ", "#  # ", " ##  ",
        ],
    ),
    (
        'K',
        [
            "#   #", "#  # ", "# #  ", "##   ", "# #  ", "#  # ", "#   #",
        ],
    ),
    (
        'L',
        [
            "#    ", "#    ", "#    ", "#    ", "#    ", "#    ", "#####",
        ],
    ),
    (
        'M',
        [
            "#   #", "## ##", "# # #", "# # #", "#   #", "#   #", "#   #",
        ],
    ),
    (
        'N',
        [
            "#   #", "#   #", "##  #", "# # #", "#  ##", "#   #", "#   #",
        ],
    ),
    (
        'O',
        [
            " ### ", "#   #", "#   #", "#   #", "#   #", "#   #", " ### ",
        ],
    ),
    (
        'P',
        [
            "#### ", "#   #", "#   #", "#### ", "#    ", "#    ", "#    ",
        ],
    ),
    (
        'Q',
        [
            " ### ", "#   #", "#   #", "#   #", "# # #", "#  # ", " ## #",
        ],
    ),
    (
        'R',
        [
            "#### ", "#   #", "#   #", "#### ", "# #  ", "#  # ", "#   #",
        ],
    ),
    (
        'S',
        [
            " ####", "#    ", "#    ", " ### ", "    #", "    #", "#### ",
        ],
    ),
    (
        'T',
        [
            "#####", "  #  ", "  #  ", "  #  ", "  #  ", "  #  ", "  #  ",
        ],
    ),
    (
        'U',
        [
            "#   #", "#   #", "#   #", "#   #", "#   #", "#   #", " ### ",
        ],
    ),
    (
        'V',
        [
            "#   #", "#   #", "#   #", "#   #", "#   #", " # # ", "  #  ",
        ],
    ),
    (
        'W',
        [
            "#   #", "#   #", "#   #", "# # #", "# # #", "# # #", " # # ",
        ],
    ),
    (
        'X',
        [
            "#   #", "#   #", " # # ", "  #  ", " # # ", "#   #", "#   #",
        ],
    ),
    (
        'Y',
        [
            "#   #", "#   #", " # # ", "  #  ", "  #  ", "  #  ", "  #  ",
        ],
    ),
    (
        'Z',
        [
            "#####", "    #", "   # ", "  #  ", " #   ", "#    ", "#####",
        ],
    ),
    (
        '0',
        [
            " ### ", "#   #", "#  ##", "# # #", "##  #", "#   #", " ### ",
        ],
    ),
    (
        '1',
        [
            "  #  ", " ##  ", "  #  ", "  #  ", "  #  ", "  #  ", " ### ",
        ],
    ),
    (
        '2',
        [
            " ### ", "#   #", "    #", "   # ", "  #  ", " #   ", "#####",
        ],
    ),
    (
        '3',
        [
            "#####", "   # ", "  #  ", "   # ", "    #", "#   #", " ### ",
        ],
    ),
    (
        '4',
        [
            "   # ", "  ## ", " # # ", "#  # ", "#####", "   # ", "   # ",
        ],
    ),
    (
        '5',
        [
            "#####", "#    ", "#### ", "    #", "    #", "#   #", " ### ",
        ],
    ),
    (
        '6',
        [
            "  ## ", " #   ", "#    ", "#### ", "#   #", "#   #", " ### ",
        ],
    ),
    (
        '7',
        [
            "#####", "    #", "   # ", "  #  ", " #   ", " #   ", " #   ",
        ],
    ),
    (
        '8',
        [
            " ### ", "#   #", "#   #", " ### ", "#   #", "#   #", " ### ",
        ],
    ),
    (
        '9',
        [
            " ### ", "#   #", "#   #", " ####", "    #", "   # ", " ##  ",
        ],
    ),
    (
        '.',
        [
            "     ", "     ", "     ", "     ", "     ", " ##  ", " ##  ",
        ],
    ),
    (
        '-',
        [
            "     ", "     ", "     ", " ### ", "     ", "     ", "     ",
        ],
    ),
    (
        '=',
        [
            "     ", "     ", "#####", "     ", "#####", "     ", "     ",
        ],
    ),
    (
        '(',
        [
            "   # ", "  #  ", " #   ", " #   ", " #   ", "  #  ", "   # ",
        ],
    ),
    (
        ')',
        [
            " #   ", "  #  ", "   # ", "   # ", "   # ", "  #  ", " #   ",
        ],
    ),
    (
        ':',
        [
            "     ", " ##  ", " ##  ", "     ", " ##  ", " ##  ", "     ",
        ],
    ),
    (
        '_',
        [
            "     ", "     ", "     ", "     ", "     ", "     ", "#####",
        ],
    ),
    (
        '/',
        [
            "    #", "    #", "   # ", "  #  ", " #   ", "#    ", "#    ",
        ],
    ),
    (
        ',',
        [
            "     ", "     ", "     ", "     ", " ##  ", "  #  ", " #   ",
        ],
    ),
    (
        '+',
        [
            "     ", "  #  ", "  #  ", "#####", "  #  ", "  #  ", "     ",
        ],
    ),
    (
        '%',
        [
            "##   ", "##  #", "   # ", "  #  ", " #   ", "#  ##", "   ##",
        ],
    ),
    (
        '\'',
        [
            "  #  ", "  #  ", " #   ", "     ", "     ", "     ", "     ",
        ],
    ),
    ('?', UNKNOWN),
    (' ', BLANK),
];

fn glyph(character: char) -> &'static Glyph {
    let wanted = character.to_ascii_uppercase();
    GLYPHS
        .iter()
        .find(|(glyph_character, _)| *glyph_character == wanted)
        .map_or(&UNKNOWN, |(_, rows)| rows)
}

/// Returns whether font pixel (`column`, `row`) of `character` is ink. Positions outside the
/// 5x7 cell are blank.
pub(crate) fn is_ink(character: char, column: usize, row: usize) -> bool {
    glyph(character)
        .get(row)
        .and_then(|line| line.as_bytes().get(column))
        .is_some_and(|&byte| byte == b'#')
}

/// Returns the width in font pixels of `text` drawn on one line, without trailing spacing.
pub(crate) fn text_width(text: &str) -> usize {
    let characters = text.chars().count();
    (characters * GLYPH_ADVANCE).saturating_sub(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glyphs_have_five_by_seven_cells() {
        for (character, rows) in &GLYPHS {
            for row in rows {
                assert_eq!(row.len(), GLYPH_WIDTH, "glyph {character:?} row {row:?}");
            }
        }
    }

    #[test]
    fn glyphs_use_only_ink_and_blank() {
        for (character, rows) in &GLYPHS {
            for row in rows {
                assert!(
                    row.bytes().all(|byte| byte == b'#' || byte == b' '),
                    "glyph {character:?}"
                );
            }
        }
    }

    #[test]
    fn glyphs_are_listed_once() {
        for (index, (character, _)) in GLYPHS.iter().enumerate() {
            let later = GLYPHS[index + 1..]
                .iter()
                .any(|(other, _)| other == character);
            assert!(!later, "glyph {character:?} is listed twice");
        }
    }

    #[test]
    fn is_ink_draws_lowercase_as_uppercase() {
        assert_eq!(is_ink('a', 2, 0), is_ink('A', 2, 0));
    }

    #[test]
    fn is_ink_draws_unknown_character_as_question_mark() {
        assert_eq!(is_ink('é', 1, 0), is_ink('?', 1, 0));
    }

    #[test]
    fn is_ink_is_blank_outside_cell() {
        assert!(!is_ink('H', GLYPH_WIDTH, 0));
    }

    #[test]
    fn text_width_of_three_characters() {
        assert_eq!(text_width("0.5"), 17);
    }

    #[test]
    fn text_width_of_empty_text() {
        assert_eq!(text_width(""), 0);
    }
}
