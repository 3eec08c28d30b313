use super::*;

use proptest::prelude::*;

/// A tree as one line: `(name "text" children…)`, names by their local part.
fn canonical(element: &Element) -> String {
    let children: String = element.children.iter().map(canonical).collect();
    format!(
        "({} {:?}{children})",
        local_name(element.name),
        element.text
    )
}

/// The same line from quick-xml, an independent reader, with the settings the crate had
/// when it read Kaixin's answers (end names checked).
fn quick_xml_canonical(xml: &str) -> Result<String, String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut stack: Vec<(String, String, String)> = Vec::new();
    let mut root = None;
    let finish = |stack: &mut Vec<(String, String, String)>,
                  root: &mut Option<String>,
                  (name, text, children): (String, String, String)| {
        let line = format!("({name} {text:?}{children})");
        match stack.last_mut() {
            Some(parent) => parent.2.push_str(&line),
            None if root.is_some() => return Err("two roots".to_owned()),
            None => *root = Some(line),
        }
        Ok(())
    };
    let name = |n: &[u8]| String::from_utf8(n.to_vec()).unwrap();
    loop {
        match reader.read_event().map_err(|e| e.to_string())? {
            Event::Start(s) => {
                stack.push((name(s.local_name().as_ref()), String::new(), String::new()))
            }
            Event::Empty(s) => {
                let element = (name(s.local_name().as_ref()), String::new(), String::new());
                finish(&mut stack, &mut root, element)?;
            }
            Event::End(_) => {
                let element = stack.pop().ok_or("unbalanced")?;
                finish(&mut stack, &mut root, element)?;
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.1.push_str(&t.xml_content().map_err(|e| e.to_string())?);
                }
            }
            Event::CData(d) => {
                if let Some(top) = stack.last_mut() {
                    top.1.push_str(&d.decode().map_err(|e| e.to_string())?);
                }
            }
            Event::GeneralRef(r) => {
                let c = match r.resolve_char_ref().map_err(|e| e.to_string())? {
                    Some(c) => c.to_string(),
                    None => quick_xml::escape::resolve_predefined_entity(&r.decode().unwrap())
                        .ok_or("unknown entity")?
                        .to_owned(),
                };
                if let Some(top) = stack.last_mut() {
                    top.1.push_str(&c);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err("unclosed".into());
    }
    root.ok_or_else(|| "no root".into())
}

fn ours(xml: &str) -> Result<String, String> {
    parse_xml_tree(xml).map(|root| canonical(&root))
}

#[test]
fn a_second_root_element_is_refused_not_taken() {
    let two = "<users><user><uid>1</uid></user></users><users><user><uid>2</uid></user></users>";
    let Err(error) = parse_xml_tree(two) else {
        panic!("two roots were read")
    };
    assert!(error.contains("more than one root"), "{error}");
    assert!(parse_xml_tree("<user/><user/>").is_err());
    assert!(parse_xml_tree("<?xml version=\"1.0\"?><users/>").is_ok());
    let deep = "<a>".repeat(100);
    assert!(parse_xml_tree(&deep).is_err(), "nested too deeply");
}

#[test]
fn what_carries_no_data_is_read_past() {
    let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n\
        <!DOCTYPE users [ <!ELEMENT users (user*)> <!ATTLIST user id CDATA \"a>b\"> ]>\n\
        <!-- a comment with <user> in it -->\n\
        <k:users xmlns:k=\"urn:x\" note='1 > 0' slash=\"a/b/\">\
        <?pi data <here> ?>\
        <user id=\"1\"><name>A &amp; B &#x4E00;&#20108; &lt;&gt;&apos;&quot;</name>\
        <intro>one\r\ntwo\rthree\nfour</intro>\
        <motto><![CDATA[<b> & ]] ]]></motto><logo120/><logo50 a=\"/>\"/></user>\
        </k:users>\n<!-- after -->\n";
    assert_eq!(
        ours(xml).unwrap(),
        "(users \"\"(user \"\"(name \"A & B 一二 <>'\\\"\")(intro \"one\\ntwo\\nthree\\nfour\")\
         (motto \"<b> & ]] \")(logo120 \"\")(logo50 \"\")))"
    );
    // quick-xml reads line ends as XML 1.1 does; without a `\r` the two agree.
    let without_cr = xml.replace('\r', "");
    assert_eq!(ours(&without_cr), quick_xml_canonical(&without_cr));
}

#[test]
fn malformed_documents_are_refused_with_where() {
    for (xml, says) in [
        ("<a>&nbsp;</a>", "unknown XML entity &nbsp;"),
        ("<a>&#0;</a>", "invalid XML character reference"),
        ("<a>&#xD800;</a>", "invalid XML character reference"),
        ("<a>&#x110000;</a>", "invalid XML character reference"),
        ("<a>&#;</a>", "invalid XML character reference"),
        ("<a>&#x;</a>", "invalid XML character reference"),
        ("<a>&#-1;</a>", "invalid XML character reference"),
        ("<a>&amp</a>", "at byte 3: a reference without its ';'"),
        ("<a></b>", "does not match"),
        ("<a><b></a></b>", "does not match"),
        ("</a>", "unbalanced"),
        ("<a><b></b>", "ends inside an element"),
        ("<a><!-- open </a>", "at byte 3: a comment without its end"),
        (
            "<a><![CDATA[ open </a>",
            "at byte 3: a CDATA section without its end",
        ),
        (
            "<a><? open </a>",
            "at byte 3: a processing instruction without its end",
        ),
        (
            "<!DOCTYPE a [ <a/>",
            "at byte 0: a declaration without its end",
        ),
        ("<a x=\"> </a>", "at byte 0: a start tag without its '>'"),
        ("<a></a", "at byte 3: an end tag without its '>'"),
        ("  ", "no root element"),
    ] {
        let error = parse_xml_tree(xml)
            .err()
            .unwrap_or_else(|| panic!("{xml} was read"));
        assert!(error.contains(says), "{xml}: {error}");
        assert!(quick_xml_canonical(xml).is_err(), "quick-xml reads {xml}");
    }
    // Stricter than quick-xml, which reads an element without a name here.
    let error = ours("<a>< b/></a>").unwrap_err();
    assert!(
        error.contains("at byte 3: a start tag without a name"),
        "{error}"
    );
}

#[test]
fn an_error_page_reads_as_its_text() {
    let page = "<!DOCTYPE html><html><head><title>503</title></head><body><h1>Service &amp; more</h1><br></body></html>";
    let text = xml_text(page);
    assert_eq!(
        text.split_whitespace().collect::<Vec<_>>(),
        ["503", "Service", "&", "more"]
    );
}

/// Text as a document writes it: plain characters, the predefined entities, character
/// references (of any character XML allows, `\r` included: a reference is not a line end),
/// and CDATA sections.
fn text_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z 中😀\n\t>\\]\"'/=]{0,8}",
        prop::sample::select(vec!["&lt;", "&gt;", "&amp;", "&apos;", "&quot;"])
            .prop_map(str::to_owned),
        any::<char>()
            .prop_filter("XML has no character 0", |&c| c != '\0')
            .prop_flat_map(|c| prop_oneof![
                Just(format!("&#{};", c as u32)),
                Just(format!("&#x{:X};", c as u32)),
            ]),
        "[a-z<>&\\] ]{0,6}"
            .prop_filter("no end inside", |s| !s.contains("]]>") && !s.ends_with(']'))
            .prop_map(|s| format!("<![CDATA[{s}]]>")),
        "[a-z<> ]{0,5}".prop_map(|s| format!("<!--{s}-->")),
        "[a-z<> ]{0,5}".prop_map(|s| format!("<?pi {s}?>")),
    ]
}

fn element() -> impl Strategy<Value = String> {
    let name = prop::sample::select(vec!["a", "b", "k:c", "user", "education"]);
    let attributes = prop::sample::select(vec!["", " x=\"1>/2\"", " y='a\"b>'", "\n z = \"\" "]);
    let leaf = (
        name.clone(),
        attributes.clone(),
        prop::collection::vec(text_piece(), 0..4),
    )
        .prop_map(|(name, attributes, text)| {
            if text.is_empty() {
                format!("<{name}{attributes}/>")
            } else {
                format!("<{name}{attributes}>{}</{name}>", text.concat())
            }
        });
    leaf.prop_recursive(4, 40, 5, move |inner| {
        (
            name.clone(),
            attributes.clone(),
            prop::collection::vec(prop_oneof![inner, text_piece()], 0..5),
        )
            .prop_map(|(name, attributes, content)| {
                format!("<{name}{attributes}>{}</{name}>", content.concat())
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Every document the strategies write reads as quick-xml reads it.
    #[test]
    fn documents_read_as_quick_xml_reads_them(
        prologue in prop::sample::select(vec!["", "<?xml version=\"1.0\"?>\n", "<!DOCTYPE a [<!ENTITY e \"]>\">]>"]),
        root in element(),
        epilogue in prop::sample::select(vec!["", "\n", "<!-- end -->"]),
    ) {
        let xml = format!("{prologue}{root}{epilogue}");
        prop_assert_eq!(ours(&xml), quick_xml_canonical(&xml), "{}", xml);
    }

    /// Cut anywhere, a document is read or refused, never a panic; where both readers take
    /// it, they agree.
    #[test]
    fn cut_documents_never_panic(root in element(), cut in any::<prop::sample::Index>(), length in 0usize..8) {
        let bytes = root.as_bytes();
        let at = cut.index(bytes.len() + 1);
        let end = (at + length).min(bytes.len());
        let Ok(xml) = std::str::from_utf8(&[&bytes[..at], &bytes[end..]].concat()).map(str::to_owned) else {
            return Ok(());
        };
        let _ = xml_text(&xml);
        if let (Ok(a), Ok(b)) = (ours(&xml), quick_xml_canonical(&xml)) {
            prop_assert_eq!(a, b, "{}", xml);
        }
    }
}
