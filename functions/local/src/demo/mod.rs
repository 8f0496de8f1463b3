//! `serve --demo`: a small, realistic data set, created through the same operations the
//! API calls, so a newcomer sees a live queue at once, and the month before with a
//! month's traffic ([`last_month`]), so the reports and the cost page have figures.

pub mod last_month;

use common::domain::identity::{Caller, Claims};
use common::domain::{Category, ConversationType, ListingStatus, Status};
use common::messaging::{
    ConversationChanges, Created, ListingRequest, NewConversation, NewMessage, PageRequest,
    QueueFilter, ReplyRequest, UserRequest,
};
use common::store::record_write;
use common::store::table::{Condition, Key, Table, TableError};
use common::{ApiError, App};

/// A demo person: user id, display name, groups.
pub struct Person {
    pub sub: &'static str,
    pub name: &'static str,
    pub groups: &'static [&'static str],
}

pub const PEOPLE: &[Person] = &[
    Person {
        sub: "thandi",
        name: "Thandi Nkosi (buyer)",
        groups: &[],
    },
    Person {
        sub: "pieter",
        name: "Pieter van Wyk (seller)",
        groups: &[],
    },
    Person {
        sub: "lerato",
        name: "Lerato Mokoena (user)",
        groups: &[],
    },
    Person {
        sub: "agent-sam",
        name: "Sam (support agent)",
        groups: &["agent", "team-support"],
    },
    Person {
        sub: "agent-bongi",
        name: "Bongi (billing agent)",
        groups: &["agent", "team-billing"],
    },
    Person {
        sub: "senior-sue",
        name: "Sue (senior admin)",
        groups: &["senior"],
    },
    Person {
        sub: "manager-max",
        name: "Max (manager)",
        groups: &["manager"],
    },
    Person {
        sub: "finance-fiona",
        name: "Fiona (finance)",
        groups: &["finance"],
    },
    Person {
        sub: "website",
        name: "The website's backend",
        groups: &["service"],
    },
];

pub fn claims(person: &Person) -> Claims {
    // Admins have a (fictional) mobile number, so urgent conversations show SMS too.
    let admin = person
        .groups
        .iter()
        .any(|g| ["agent", "senior", "manager"].contains(g));
    let phone = admin.then(|| {
        format!(
            "+2782555{:04}",
            person.sub.bytes().map(u32::from).sum::<u32>()
        )
    });
    Claims {
        sub: person.sub.to_string(),
        name: Some(person.name.to_string()),
        email: Some(format!("{}@example.co.za", person.sub)),
        phone_number: phone,
        groups: person.groups.iter().map(|g| g.to_string()).collect(),
        ..Claims::default()
    }
}

pub(crate) fn caller(sub: &str) -> anyhow::Result<Caller> {
    let person = PEOPLE.iter().find(|p| p.sub == sub).unwrap_or(&PEOPLE[0]);
    Ok(Caller::new(claims(person))?)
}

/// A demo listing: id, title, seller, category, location, status.
pub struct DemoListing {
    pub id: &'static str,
    pub title: &'static str,
    pub seller: &'static str,
    pub category: &'static str,
    pub location: &'static str,
    pub status: ListingStatus,
}

/// Every listing the demo registers: today's and last month's.
pub fn all_listings() -> impl Iterator<Item = &'static DemoListing> {
    LISTINGS.iter().chain(last_month::MORE_LISTINGS)
}

/// The listings the website has registered.
pub const LISTINGS: &[DemoListing] = &[
    DemoListing {
        id: "L-1001",
        title: "Toyota Corolla 1.6 2015, 120 000 km",
        seller: "pieter",
        category: "vehicles",
        location: "Pretoria",
        status: ListingStatus::Active,
    },
    DemoListing {
        id: "L-1002",
        title: "3-bedroom house to rent in Soweto",
        seller: "pieter",
        category: "property",
        location: "Johannesburg",
        status: ListingStatus::Active,
    },
    DemoListing {
        id: "L-1003",
        title: "Samsung Galaxy S21, boxed",
        seller: "lerato",
        category: "electronics",
        location: "Cape Town",
        status: ListingStatus::Active,
    },
    DemoListing {
        id: "L-1004",
        title: "Oak dining table (sold)",
        seller: "lerato",
        category: "furniture",
        location: "Durban",
        status: ListingStatus::Inactive,
    },
];

/// Claims the data folder for the demo: true the first time (seed it now), false once
/// it was seeded.
pub async fn claim(table: &dyn Table) -> anyhow::Result<bool> {
    let marker = record_write(
        &Key::new("DEMO", "SEEDED"),
        &serde_json::json!({}),
        Some(Condition::NotExists),
    )?;
    match table.write(vec![marker]).await {
        Ok(()) => Ok(true),
        Err(TableError::ConditionFailed { .. }) => Ok(false),
        Err(other) => Err(other.into()),
    }
}

/// Seeds today's live queue (after [`claim`], and after [`last_month`]: the listings and
/// users are the website's, synced again as it would).
pub async fn seed(app: &App) -> anyhow::Result<()> {
    // Admins join their teams' directory on their first queue call; open each queue once
    // so the demo's team notifications reach them from the start.
    for admin in PEOPLE.iter().filter(|p| {
        p.groups
            .iter()
            .any(|g| ["agent", "senior", "manager"].contains(g))
    }) {
        app.queue(
            &caller(admin.sub)?,
            QueueFilter::default(),
            PageRequest::parse(None, None)?,
        )
        .await?;
    }
    let website = caller("website")?;
    for listing in LISTINGS {
        let request = ListingRequest {
            title: listing.title.into(),
            seller_id: listing.seller.into(),
            category: listing.category.into(),
            location: listing.location.into(),
            status: listing.status,
        };
        app.put_listing(&website, listing.id, request).await?;
    }
    // The website syncs its users, so broadcasts reach them.
    for (sub, tier, location) in [
        ("thandi", "basic", "Johannesburg"),
        ("pieter", "premium", "Pretoria"),
        ("lerato", "verified", "Cape Town"),
    ] {
        let person = PEOPLE.iter().find(|p| p.sub == sub).unwrap_or(&PEOPLE[0]);
        let request = UserRequest {
            name: Some(person.name.to_string()),
            email: Some(format!("{sub}@example.co.za")),
            phone: None,
            tier: Some(tier.into()),
            location: Some(location.into()),
        };
        app.put_user(&website, sub, request).await?;
    }

    let support = |category, subject: &str, body: &str, listing: Option<&str>| NewConversation {
        kind: ConversationType::Support,
        category: Some(category),
        subject: Some(subject.into()),
        body: body.into(),
        listing_id: listing.map(str::to_string),
        priority: None,
        attachments: Vec::new(),
    };
    let thandi = caller("thandi")?;
    let pieter = caller("pieter")?;
    let lerato = caller("lerato")?;

    let payment = support(
        Category::Payment,
        "Paid for a featured ad twice",
        "I was charged R99 twice for featuring my ad. Please refund one payment.",
        Some("L-1001"),
    );
    let id = created_id(app.create_conversation(&pieter, payment, None).await?)?;
    app.update_conversation(
        &caller("agent-bongi")?,
        &id,
        ConversationChanges {
            assignee: Some(Some("agent-bongi".into())),
            ..Default::default()
        },
    )
    .await?;

    let question = support(
        Category::General,
        "How do I renew my ad?",
        "My ad expires next week. How do I renew it?",
        None,
    );
    let id = created_id(app.create_conversation(&lerato, question, None).await?)?;
    let answer = reply(
        "Hi Lerato, open My Ads and choose Renew next to the ad. It is free for 30 days.",
        false,
        None,
    );
    app.reply(&caller("agent-sam")?, &id, answer, None).await?;

    let technical = support(
        Category::Technical,
        "Photos won't upload",
        "Every photo upload fails with an error on my phone.",
        Some("L-1003"),
    );
    let id = created_id(app.create_conversation(&lerato, technical, None).await?)?;
    let note = reply(
        "Likely the HEIC format issue; asked tech to check.",
        true,
        None,
    );
    app.reply(&caller("senior-sue")?, &id, note, None).await?;

    let complaint = support(
        Category::Complaint,
        "Seller did not show up",
        "I drove to Pretoria and the seller never came.",
        Some("L-1001"),
    );
    created_id(app.create_conversation(&thandi, complaint, None).await?)?;

    let account = support(
        Category::Account,
        "Locked out of my account",
        "I can't log in since I changed my phone number.",
        None,
    );
    let id = created_id(app.create_conversation(&thandi, account, None).await?)?;
    let fixed = reply(
        "We've reset your login; you can sign in with your email now.",
        false,
        Some(Status::Resolved),
    );
    app.reply(&caller("agent-sam")?, &id, fixed, None).await?;

    let direct = NewConversation {
        kind: ConversationType::Direct,
        category: None,
        subject: None,
        body: "Hi, is the Corolla still available? Would you take R145 000?".into(),
        listing_id: Some("L-1001".into()),
        priority: None,
        attachments: Vec::new(),
    };
    let id = created_id(app.create_conversation(&thandi, direct, None).await?)?;
    let answer = NewMessage {
        body: "Yes, still available. R150 000 is my final price; you can view it on Saturday."
            .into(),
        attachments: Vec::new(),
    };
    app.post_message(&pieter, &id, answer, None).await?;
    Ok(())
}

fn reply(body: &str, internal: bool, status: Option<Status>) -> ReplyRequest {
    ReplyRequest {
        body: Some(body.into()),
        template_id: None,
        variables: None,
        internal,
        status,
    }
}

fn created_id(
    created: Created<common::messaging::CreatedConversation>,
) -> Result<String, ApiError> {
    Ok(created.into_new()?.conversation.id)
}
