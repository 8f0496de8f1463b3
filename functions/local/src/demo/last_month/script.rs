//! Who takes part in last month's traffic and what they write: the site's users, two more
//! agents, the listings, and the texts of support questions, buyer–seller chats and
//! ratings, as a South African classifieds site hears them.

use common::domain::ListingStatus;
use common::domain::identity::Claims;

use crate::demo::{DemoListing, Person};

/// A user of the site. None is a live demo person, so the live inboxes stay as they are.
pub struct Member {
    pub sub: &'static str,
    pub name: &'static str,
    pub tier: &'static str,
    pub location: &'static str,
}

impl Member {
    pub fn first_name(&self) -> &'static str {
        self.name.split(' ').next().unwrap_or(self.name)
    }

    pub fn claims(&self) -> Claims {
        Claims {
            sub: self.sub.into(),
            name: Some(self.name.into()),
            email: Some(format!("{}@example.co.za", self.sub)),
            tier: Some(self.tier.into()),
            ..Claims::default()
        }
    }
}

const fn member(
    sub: &'static str,
    name: &'static str,
    tier: &'static str,
    location: &'static str,
) -> Member {
    Member {
        sub,
        name,
        tier,
        location,
    }
}

pub const MEMBERS: &[Member] = &[
    member("sipho", "Sipho Dlamini", "basic", "Johannesburg"),
    member("ayanda", "Ayanda Zulu", "premium", "Durban"),
    member("nomvula", "Nomvula Khumalo", "basic", "Pietermaritzburg"),
    member("johan", "Johan Botha", "verified", "Pretoria"),
    member("fatima", "Fatima Patel", "premium", "Durban"),
    member("kagiso", "Kagiso Molefe", "basic", "Rustenburg"),
    member("zanele", "Zanele Mthembu", "verified", "Johannesburg"),
    member("themba", "Themba Ngcobo", "basic", "Durban"),
    member("annelie", "Annelie du Plessis", "premium", "Cape Town"),
    member("mpho", "Mpho Sithole", "basic", "Soweto"),
    member("lindiwe", "Lindiwe Mahlangu", "basic", "Mbombela"),
    member("riaan", "Riaan Venter", "verified", "Bloemfontein"),
    member("busisiwe", "Busisiwe Ndlovu", "basic", "Johannesburg"),
    member("tshepo", "Tshepo Mokoena", "premium", "Pretoria"),
    member("dineo", "Dineo Maseko", "basic", "Polokwane"),
    member("willem", "Willem Pretorius", "basic", "Stellenbosch"),
    member("precious", "Precious Mabena", "verified", "Ekurhuleni"),
    member("sibusiso", "Sibusiso Cele", "basic", "Durban"),
    member("charmaine", "Charmaine Adams", "premium", "Cape Town"),
    member("kabelo", "Kabelo Motaung", "basic", "Bloemfontein"),
    member("nandi", "Nandi Shabalala", "basic", "Gqeberha"),
    member("hennie", "Hennie Steyn", "verified", "Polokwane"),
    member("palesa", "Palesa Radebe", "basic", "Johannesburg"),
    member("lwazi", "Lwazi Mkhize", "premium", "Durban"),
    member("marlene", "Marlene Jacobs", "basic", "Gqeberha"),
    member("bheki", "Bheki Nxumalo", "basic", "Richards Bay"),
    member("refilwe", "Refilwe Phiri", "verified", "Pretoria"),
    member("dumisani", "Dumisani Zwane", "basic", "East London"),
    member("karabo", "Karabo Tau", "premium", "Johannesburg"),
    member("yusuf", "Yusuf Essop", "basic", "Cape Town"),
    member("gugu", "Gugu Hadebe", "basic", "Durban"),
    member("francois", "Francois le Roux", "verified", "Paarl"),
    member("mandla", "Mandla Khoza", "basic", "Mbombela"),
    member("thuli", "Thuli Mazibuko", "premium", "Johannesburg"),
    member("andile", "Andile Gumede", "basic", "East London"),
    member("elmarie", "Elmarie van der Merwe", "basic", "Kimberley"),
];

/// The agents of last month besides the demo people, so every team has someone.
pub const MORE_AGENTS: &[Person] = &[
    Person {
        sub: "agent-naledi",
        name: "Naledi (support agent)",
        groups: &["agent", "team-support"],
    },
    Person {
        sub: "agent-thabo",
        name: "Thabo (technical agent)",
        groups: &["agent", "team-technical"],
    },
];

/// The members' own listings, beside the demo's.
pub const MORE_LISTINGS: &[DemoListing] = &[
    listing(
        "L-0901",
        "VW Polo Vivo 1.4 2018, 85 000 km",
        "johan",
        "vehicles",
        "Pretoria",
    ),
    listing(
        "L-0902",
        "Hisense 55-inch 4K smart TV",
        "fatima",
        "electronics",
        "Durban",
    ),
    listing(
        "L-0903",
        "Giant 29er mountain bike, large frame",
        "riaan",
        "sport",
        "Bloemfontein",
    ),
    listing(
        "L-0904",
        "2-bedroom flat to rent in Sea Point",
        "annelie",
        "property",
        "Cape Town",
    ),
    listing(
        "L-0905",
        "Defy double-door fridge, 2 years old",
        "mandla",
        "appliances",
        "Mbombela",
    ),
    listing(
        "L-0906",
        "Hilux double-cab canopy, 2016 onwards",
        "hennie",
        "vehicles",
        "Polokwane",
    ),
];

const fn listing(
    id: &'static str,
    title: &'static str,
    seller: &'static str,
    category: &'static str,
    location: &'static str,
) -> DemoListing {
    DemoListing {
        id,
        title,
        seller,
        category,
        location,
        status: ListingStatus::Active,
    }
}

/// A support question and how it goes: `{first}` in answers is the user's first name.
pub struct Topic {
    pub category: &'static str,
    pub subject: &'static str,
    pub question: &'static str,
    pub answer: &'static str,
    pub follow_up: &'static str,
    pub second_answer: &'static str,
    /// What the agent notes for colleagues before answering, if anything.
    pub note: Option<&'static str>,
    /// Asked from a listing's page: the conversation is about that listing.
    pub about_listing: bool,
}

impl Topic {
    /// Payment and account problems are urgent (4 hours, any day) by the default routing.
    pub fn urgent(&self) -> bool {
        matches!(self.category, "payment" | "account")
    }
}

const fn topic(
    category: &'static str,
    subject: &'static str,
    question: &'static str,
    answer: &'static str,
    follow_up: &'static str,
    second_answer: &'static str,
) -> Topic {
    Topic {
        category,
        subject,
        question,
        answer,
        follow_up,
        second_answer,
        note: None,
        about_listing: false,
    }
}

impl Topic {
    const fn noted(mut self, note: &'static str) -> Self {
        self.note = Some(note);
        self
    }

    const fn asked_from_a_listing(mut self) -> Self {
        self.about_listing = true;
        self
    }
}

pub const TOPICS: &[Topic] = &[
    topic(
        "general",
        "Renewing my ad",
        "My ad expires on Friday. How do I renew it without paying again?",
        "Hi {first}, open My Ads, choose the ad and tap Renew. Renewing is free for 30 days.",
        "Thanks! Does it keep its views and saved searches?",
        "It does: the views, messages and saves stay with the ad.",
    )
    .asked_from_a_listing(),
    topic(
        "general",
        "Changing the price",
        "I want to drop my asking price by R10 000. Where do I change it?",
        "Hi {first}, edit the ad from My Ads and change the price; buyers who saved it get a price-drop alert.",
        "Done, thank you. Will it move up in the search results?",
        "A price drop shows the ad as updated for a day, so it does come up higher for a while.",
    )
    .asked_from_a_listing(),
    topic(
        "general",
        "How many photos can I add?",
        "Can I add more than ten photos to a property ad?",
        "Hi {first}, property ads take up to 20 photos; other categories take 10.",
        "And can I add a video walk-through?",
        "Yes: paste a YouTube link in the video field when you edit the ad.",
    ),
    topic(
        "general",
        "My ad doesn't show in search",
        "I posted my ad yesterday but it doesn't show when I search in my area.",
        "Hi {first}, new ads are checked first; yours went live this morning. Search again with your suburb filter and it's there.",
        "I see it now, but only on page 3?",
        "Newest first is the default order; a bump puts it back on page 1 for R29.",
    )
    .asked_from_a_listing(),
    topic(
        "general",
        "Marking my item as sold",
        "I sold the item this morning. How do I take the ad down?",
        "Hi {first}, choose Mark as sold in My Ads; buyers stop seeing it at once and you keep it for 30 days.",
        "Will the buyers who messaged me be told?",
        "They see it marked as sold when they open the conversation.",
    )
    .asked_from_a_listing(),
    topic(
        "general",
        "Featuring my ad",
        "What does it cost to feature my ad on the home page?",
        "Hi {first}, featuring costs R49 for 7 days or R99 for 30 days, by card, EFT or SnapScan.",
        "Can I feature it only in Gauteng?",
        "Featured ads show in your province first, so yes, in effect it is Gauteng.",
    ),
    topic(
        "general",
        "Wrong category",
        "I put my gas braai under Furniture by mistake. Can you move it to Home and Garden?",
        "Done, {first}: it's under Home & Garden > Braais now, with its views kept.",
        "Thank you. Can I change the category myself next time?",
        "Yes: Edit ad > Category, as long as the ad has no featured time left.",
    )
    .asked_from_a_listing(),
    topic(
        "general",
        "Meeting a buyer safely",
        "A buyer wants to come to my house to see the fridge. Is that safe?",
        "Hi {first}, meet in a public place where you can, or have someone with you, and never hand anything over before you are paid.",
        "He wants to pay by EFT. How do I know it's real?",
        "Wait until the money shows in your own banking app; a proof-of-payment screenshot is not payment.",
    )
    .asked_from_a_listing(),
    topic(
        "payment",
        "Charged twice for a featured ad",
        "My card was debited R99 twice this morning for the same featured ad.",
        "Sorry about that, {first}. The second R99 is refunded; it shows on your statement within 5 working days.",
        "Can you send me proof of the refund for my bank?",
        "The refund confirmation is in Account > Billing, with the bank's reference.",
    )
    .noted("Duplicate card capture from the payment provider's retry; refunded the second one.")
    .asked_from_a_listing(),
    topic(
        "payment",
        "EFT not reflecting",
        "I paid R149 by EFT for premium two days ago and my account still says unpaid.",
        "Found it, {first}: the payment came in without its reference. It's matched now and premium is active.",
        "Thanks. Does my premium month start today or from when I paid?",
        "From today, so you get the full 30 days.",
    )
    .noted("EFT received without reference; matched by amount and name."),
    topic(
        "payment",
        "Refund for an unused bump",
        "I paid R29 for a bump but sold the item before it ran. Can I get it back?",
        "Yes, {first}: the unused bump is refunded to your SayPro wallet.",
        "Can it go back to my card instead?",
        "Done: it goes back to your card; allow 3 to 5 working days.",
    )
    .asked_from_a_listing(),
    topic(
        "payment",
        "Card keeps getting declined",
        "My card is declined every time I try to pay for premium.",
        "Hi {first}, the bank's 3-D Secure prompt timed out. Try again and approve it in your banking app within a minute.",
        "Still declined, and the bank says they see nothing.",
        "Then it's the card's online setting: switch on online payments in your banking app, or pay by EFT.",
    )
    .noted("Provider logs show 3-D Secure timeouts for this card."),
    topic(
        "payment",
        "Tax invoice for my business",
        "I need a tax invoice with my company name and VAT number for the dealer package.",
        "Hi {first}, the tax invoice with your company name and VAT number is in Account > Billing now.",
        "Can the invoices go to our accounts email every month?",
        "Yes: add the accounts address under Billing contacts and they'll go there monthly.",
    ),
    topic(
        "payment",
        "Subscription went up",
        "My monthly dealer subscription went up from R399 to R449 without notice.",
        "You're right, {first}, the notice went out late. The new price starts next month; this month's R50 is refunded.",
        "Will the R449 stay for the year?",
        "Yes, the price is fixed until next November.",
    ),
    topic(
        "account",
        "Locked out after changing my number",
        "I changed my cellphone number and now the login PIN goes to the old one.",
        "Hi {first}, I've updated the number on your account; sign in and the PIN comes to the new one.",
        "It worked, thanks. Do I need to change anything on my ads?",
        "No, your ads show the new number automatically.",
    ),
    topic(
        "account",
        "Password reset email never arrives",
        "I asked for a password reset three times and the email never comes. I've checked spam.",
        "Hi {first}, your email address had a typo (gmial.com). I've corrected it and the reset email is on its way.",
        "Got it and I'm in. Thank you!",
        "Glad it's sorted. Anything else, just write here.",
    ),
    topic(
        "account",
        "Ads I didn't post on my profile",
        "There are ads on my profile that I didn't post! Someone is in my account.",
        "Hi {first}, we've signed out every device, removed the three ads and locked the password. Set a new one from the email we sent.",
        "Done. How did they get in?",
        "The password was used on another site that leaked; a unique password and the login PIN keep it out now.",
    )
    .noted("Logins from a new device in Lagos; sessions revoked, ads removed."),
    topic(
        "account",
        "Closing my account",
        "Please close my account, I'm emigrating at the end of the month.",
        "All the best, {first}. Your account is closed and your ads are removed.",
        "Can I reopen it if I come back?",
        "Yes, sign up with the same email within two years and your reviews come back.",
    ),
    topic(
        "account",
        "Getting the Verified badge",
        "How do I get the Verified badge on my profile?",
        "Hi {first}, upload your ID in Account > Verification; we check it within one working day.",
        "I uploaded it. Is a driver's licence also fine?",
        "A driver's licence is fine too; yours is approved and the badge shows now.",
    ),
    topic(
        "technical",
        "Photos won't upload",
        "Every photo upload fails with an error on my Samsung.",
        "Hi {first}, it was the HEIC photo format; the fix is live. Please try again.",
        "Working now, but the photos are sideways.",
        "Rotate them in the editor before you save; the next app update keeps the camera's orientation.",
    )
    .noted("HEIC uploads failing since Tuesday's release; fix deployed.")
    .asked_from_a_listing(),
    topic(
        "technical",
        "App closes when I open Messages",
        "The Android app closes as soon as I open Messages.",
        "Hi {first}, update to version 4.12 from the Play Store; it fixes that crash.",
        "Updated and it still closes.",
        "Clear the app's cache under Settings > Apps > SayPro > Storage; that removes the old data it trips on.",
    )
    .noted("Crash in the inbox on Android 11 with old cached data."),
    topic(
        "technical",
        "No notifications for new messages",
        "I don't get any notifications when buyers message me.",
        "Hi {first}, notifications for SayPro were off in your phone's settings; switch them on and they come through.",
        "They're on now, but emails also stopped.",
        "Your email was unsubscribed after a bounce; it's subscribed again.",
    ),
    topic(
        "technical",
        "Map shows the wrong area",
        "My ad shows Pretoria but I'm in Centurion.",
        "Hi {first}, edit the ad and choose Centurion in the suburb list; the map follows the suburb.",
        "Centurion isn't in the list for my ad.",
        "It's under Tshwane > Centurion; I've set it on your ad for you.",
    )
    .asked_from_a_listing(),
    topic(
        "technical",
        "Listing page won't load",
        "The listing page just keeps loading on my laptop.",
        "Hi {first}, an ad blocker stopped our scripts. It loads in a private window; allowing SayPro in the blocker fixes it.",
        "That was it, thanks. Will the blocker hide my own ads too?",
        "No, only the page's scripts were blocked; your ads show to everyone.",
    )
    .noted("Ad-blocker list started blocking our listing bundle.")
    .asked_from_a_listing(),
    topic(
        "complaint",
        "Seller did not pitch",
        "I drove from Soweto to Sandton and the seller never came or answered.",
        "Sorry, {first}. We've warned the seller; a second no-show suspends the account.",
        "Can I get my petrol money back?",
        "We can't refund that, but we've added R50 of bumps to your account for the trouble.",
    )
    .noted("Seller has one earlier no-show report; warned.")
    .asked_from_a_listing(),
    topic(
        "complaint",
        "Item not as described",
        "The phone I bought has a cracked screen that wasn't in the photos.",
        "Sorry, {first}. We've asked the seller for their side and flagged the listing; sellers must show every defect.",
        "The seller says it was fine when I got it.",
        "The original photos show no crack, so the listing is removed and the seller warned. If you paid by card, your bank can dispute it.",
    )
    .asked_from_a_listing(),
    topic(
        "complaint",
        "Rude messages from a buyer",
        "A buyer keeps sending me insults after I refused his offer.",
        "Sorry, {first}. He can't message you any more, and his account has a warning.",
        "He's now messaging from another account.",
        "That account is blocked too, and both are under review.",
    )
    .noted("Blocked the buyer for the seller; second account found by device.")
    .asked_from_a_listing(),
    topic(
        "complaint",
        "Fake rental listing",
        "The landlord of a flat wants money before I can view it. I think it's a scam.",
        "Thank you, {first}: the listing is removed and the account blocked. Never pay before viewing.",
        "I already paid R2 000. What can I do?",
        "Open a case at your police station with the payment proof; we'll give them the account's details on request.",
    )
    .noted("Known rental scam pattern; listing removed, account blocked.")
    .asked_from_a_listing(),
    topic(
        "complaint",
        "My ad was removed",
        "Why was my ad for the puppies removed?",
        "Hi {first}, pet ads need the breeder's registration number; add it and the ad can go back up.",
        "I've added the KUSA number now.",
        "Thanks, the ad is back up.",
    )
    .asked_from_a_listing(),
    topic(
        "complaint",
        "Waited too long for an answer",
        "I asked about a refund last week and nobody answered for days.",
        "You're right, {first}, that was far too long, and I'm sorry. The refund went through today.",
        "Thank you. Please make sure it doesn't happen again.",
        "We've added people to the billing team for exactly this.",
    ),
];

/// A buyer's question about a listing, the seller's answer, and one more of each.
pub struct Chat {
    pub listing: &'static str,
    pub ask: &'static str,
    pub answer: &'static str,
    pub more: &'static str,
    pub last: &'static str,
}

const fn chat(
    listing: &'static str,
    ask: &'static str,
    answer: &'static str,
    more: &'static str,
    last: &'static str,
) -> Chat {
    Chat {
        listing,
        ask,
        answer,
        more,
        last,
    }
}

pub const CHATS: &[Chat] = &[
    chat(
        "L-1001",
        "Hi, is the Corolla still available? I'm in Centurion.",
        "Yes, still available. You're welcome to view it in Pretoria East.",
        "Has it been in any accidents? Is there a service history?",
        "No accidents, full service history at Toyota, last service at 115 000 km.",
    ),
    chat(
        "L-1001",
        "Would you take R140 000 for the Corolla?",
        "Sorry, R150 000 is the lowest I can go, the tyres are new.",
        "Okay. Can I test drive it on Saturday morning?",
        "Saturday at 10:00 suits me; bring your licence.",
    ),
    chat(
        "L-1002",
        "Is the Soweto house still available from next month?",
        "Yes, it's available from the 1st. Rent is R7 500 a month.",
        "Are pets allowed? We have one small dog.",
        "One small dog is fine, the yard is walled.",
    ),
    chat(
        "L-1002",
        "How far is the house from the Orlando taxi rank?",
        "About ten minutes' walk, and there's a Spar around the corner.",
        "Can we view it this Sunday after church?",
        "Sunday at 14:00 works; I'll meet you at the gate.",
    ),
    chat(
        "L-1003",
        "Does the S21 come with the charger and the box?",
        "Yes, boxed with the original charger and a clear cover.",
        "Would you take R5 500?",
        "R6 000 is my lowest, there's not a scratch on it.",
    ),
    chat(
        "L-1003",
        "Is the S21 still under warranty?",
        "The warranty ran out in March, but the battery is still at 92%.",
        "Can I collect it in Claremont tomorrow?",
        "Tomorrow after 17:00 at Cavendish Square is fine.",
    ),
    chat(
        "L-0901",
        "Morning, is the Polo Vivo still for sale?",
        "Morning! Yes it is, one owner and never in an accident.",
        "Is the price negotiable?",
        "A little: R155 000 cash and it's yours.",
    ),
    chat(
        "L-0901",
        "Does the Polo have a spare key and the service book?",
        "Both, and the service plan runs until next year.",
        "Great, can I see it on Saturday?",
        "Saturday morning is fine, I'm in Moreleta Park.",
    ),
    chat(
        "L-0902",
        "Is the Hisense still available? Does it have Netflix built in?",
        "Still available, and yes, Netflix, YouTube and Showmax are built in.",
        "Would you deliver to Umhlanga?",
        "For R150 extra I can drop it off on Saturday.",
    ),
    chat(
        "L-0902",
        "Any dead pixels or marks on the TV's screen?",
        "None at all, it's been on the wall since we bought it.",
        "I'll take it. Can I fetch it tonight?",
        "Tonight after 18:30 is fine.",
    ),
    chat(
        "L-0903",
        "What frame size is the mountain bike?",
        "It's a large frame, it suits someone from about 1.75 m.",
        "Has it been serviced recently?",
        "New brake pads and a full service last month.",
    ),
    chat(
        "L-0903",
        "Would you swap the bike for a road bike?",
        "Sorry, cash only, I'm moving to the coast.",
        "Fair enough. Would you do R7 000?",
        "R7 500 and you can ride it home today.",
    ),
    chat(
        "L-0904",
        "Is the Sea Point flat still available for January?",
        "Yes, from 1 January, R14 500 a month including water.",
        "Is there parking?",
        "One covered bay in the basement.",
    ),
    chat(
        "L-0904",
        "Is the flat furnished?",
        "Semi-furnished: the beds, a couch and the fridge stay.",
        "Can I view it on Saturday?",
        "Saturday at 11:00; the building is on Main Road.",
    ),
    chat(
        "L-0905",
        "Hi, is the Defy fridge still available?",
        "Yes, still working perfectly, we're only selling because we moved.",
        "Would you deliver to White River?",
        "For R200 petrol money, yes.",
    ),
    chat(
        "L-0905",
        "How many litres is the fridge?",
        "It's 450 litres, frost-free, with a water dispenser.",
        "Does it fit through a normal door?",
        "Yes, the doors come off and it's 80 cm wide without them.",
    ),
    chat(
        "L-0906",
        "Will the canopy fit a 2019 Hilux double cab?",
        "Yes, it fits 2016 onwards double cabs, with the keys and the rubbers.",
        "Would you take R9 000?",
        "Make it R10 000 and we have a deal.",
    ),
    chat(
        "L-0906",
        "Does the canopy have a third brake light?",
        "Yes, wired and working, plus the roof rails.",
        "Can you help me fit it when I collect?",
        "Sure, it takes two people and ten minutes.",
    ),
];

/// What users write with a good rating, and with a poor one.
pub const PRAISE: &[&str] = &[
    "Sorted out quickly, thank you!",
    "Very helpful and friendly.",
    "Quick answer, problem solved.",
    "Exactly what I needed to know.",
];
pub const GRUMBLES: &[&str] = &[
    "Took far too long to get an answer.",
    "The answer was fine but it came very late.",
    "Still not happy with how this was handled.",
];

/// The month's broadcast, to premium members, and what two of them ask about it.
pub const BROADCAST_TIER: &str = "premium";
pub const BROADCAST_SUBJECT: &str = "Featured ads at half price this weekend";
pub const BROADCAST_BODY: &str = "Premium members: feature any ad for R25 instead of R49 from Friday to Sunday. Choose Feature on the ad in My Ads.";
pub const BROADCAST_QUESTIONS: &[(&str, &str, &str)] = &[
    (
        "ayanda",
        "Does the half price also count for property ads?",
        "Yes, {first}: every category, property too, until Sunday midnight.",
    ),
    (
        "karabo",
        "I featured my ad yesterday at full price. Can I get the difference back?",
        "We've credited the R24 difference to your SayPro wallet, {first}.",
    ),
];

/// The team's reply templates, written by the manager on the month's first day. The
/// first closes what a user left unanswered for three days, so its usage count grows.
pub const TEMPLATES: &[(&str, Option<&str>, Option<&str>, &str)] = &[
    (
        "Closing: no reply from the user",
        None,
        None,
        "Hi {{user.first_name | \"there\"}}, we haven't heard back from you, so we're closing this conversation. Reply here any time and it opens again.\n\n{{agent.first_name}}, SayPro Support",
    ),
    (
        "Renewing an ad",
        Some("support"),
        Some("general"),
        "Hi {{user.first_name | \"there\"}}, open My Ads and choose Renew next to the ad: it stays up for another 30 days, free.\n\n{{agent.first_name}}, SayPro Support",
    ),
    (
        "Refund on its way",
        Some("billing"),
        Some("payment"),
        "Hi {{user.first_name | \"there\"}}, we've refunded the payment: it reaches your card within 5 to 7 working days.\n\n{{agent.first_name}}, SayPro Billing",
    ),
];
