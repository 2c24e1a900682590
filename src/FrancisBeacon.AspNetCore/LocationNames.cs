using FrancisBeacon.Querying;

namespace FrancisBeacon.AspNetCore;

/// <summary>
/// Plausible's <c>visit:country_name</c> and <c>visit:city_name</c> over the codes the store keeps: the endpoint asks
/// for <c>visit:country</c> (ISO 3166-1 alpha-2) and shows each code's English short name (the ISO 3166 names Plausible
/// uses: the common name where there is one, e.g. "United States", "Taiwan", plus Kosovo); a filter on a country name
/// becomes a filter on the codes whose names pass it. <c>visit:city_name</c> is <c>visit:city</c>, which already holds
/// the name.
/// </summary>
internal static class LocationNames
{
    public const string CountryName = "visit:country_name";

    public const string CityName = "visit:city_name";

    /// <summary>The most values one condition may hold (<see cref="HitQuery"/> validation).</summary>
    private const int MaxValues = 100;

    /// <summary>
    /// The most conditions <see cref="CountryFilter"/> makes of one: the passing codes and the known ones, each in
    /// chunks of <see cref="MaxValues"/>, and the condition itself for unknown codes.
    /// </summary>
    public static int MaxCountryConditions => (2 * ((Countries.Count + 1 + MaxValues - 1) / MaxValues)) + 1;

    /// <summary>ISO 3166-1 alpha-2 code to English short name.</summary>
    public static IReadOnlyDictionary<string, string> Countries { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["AD"] = "Andorra",
        ["AE"] = "United Arab Emirates",
        ["AF"] = "Afghanistan",
        ["AG"] = "Antigua and Barbuda",
        ["AI"] = "Anguilla",
        ["AL"] = "Albania",
        ["AM"] = "Armenia",
        ["AO"] = "Angola",
        ["AQ"] = "Antarctica",
        ["AR"] = "Argentina",
        ["AS"] = "American Samoa",
        ["AT"] = "Austria",
        ["AU"] = "Australia",
        ["AW"] = "Aruba",
        ["AX"] = "Åland Islands",
        ["AZ"] = "Azerbaijan",
        ["BA"] = "Bosnia and Herzegovina",
        ["BB"] = "Barbados",
        ["BD"] = "Bangladesh",
        ["BE"] = "Belgium",
        ["BF"] = "Burkina Faso",
        ["BG"] = "Bulgaria",
        ["BH"] = "Bahrain",
        ["BI"] = "Burundi",
        ["BJ"] = "Benin",
        ["BL"] = "Saint Barthélemy",
        ["BM"] = "Bermuda",
        ["BN"] = "Brunei Darussalam",
        ["BO"] = "Bolivia",
        ["BQ"] = "Bonaire, Sint Eustatius and Saba",
        ["BR"] = "Brazil",
        ["BS"] = "Bahamas",
        ["BT"] = "Bhutan",
        ["BV"] = "Bouvet Island",
        ["BW"] = "Botswana",
        ["BY"] = "Belarus",
        ["BZ"] = "Belize",
        ["CA"] = "Canada",
        ["CC"] = "Cocos (Keeling) Islands",
        ["CD"] = "Congo, The Democratic Republic of the",
        ["CF"] = "Central African Republic",
        ["CG"] = "Congo",
        ["CH"] = "Switzerland",
        ["CI"] = "Côte d'Ivoire",
        ["CK"] = "Cook Islands",
        ["CL"] = "Chile",
        ["CM"] = "Cameroon",
        ["CN"] = "China",
        ["CO"] = "Colombia",
        ["CR"] = "Costa Rica",
        ["CU"] = "Cuba",
        ["CV"] = "Cabo Verde",
        ["CW"] = "Curaçao",
        ["CX"] = "Christmas Island",
        ["CY"] = "Cyprus",
        ["CZ"] = "Czechia",
        ["DE"] = "Germany",
        ["DJ"] = "Djibouti",
        ["DK"] = "Denmark",
        ["DM"] = "Dominica",
        ["DO"] = "Dominican Republic",
        ["DZ"] = "Algeria",
        ["EC"] = "Ecuador",
        ["EE"] = "Estonia",
        ["EG"] = "Egypt",
        ["EH"] = "Western Sahara",
        ["ER"] = "Eritrea",
        ["ES"] = "Spain",
        ["ET"] = "Ethiopia",
        ["FI"] = "Finland",
        ["FJ"] = "Fiji",
        ["FK"] = "Falkland Islands (Malvinas)",
        ["FM"] = "Micronesia, Federated States of",
        ["FO"] = "Faroe Islands",
        ["FR"] = "France",
        ["GA"] = "Gabon",
        ["GB"] = "United Kingdom",
        ["GD"] = "Grenada",
        ["GE"] = "Georgia",
        ["GF"] = "French Guiana",
        ["GG"] = "Guernsey",
        ["GH"] = "Ghana",
        ["GI"] = "Gibraltar",
        ["GL"] = "Greenland",
        ["GM"] = "Gambia",
        ["GN"] = "Guinea",
        ["GP"] = "Guadeloupe",
        ["GQ"] = "Equatorial Guinea",
        ["GR"] = "Greece",
        ["GS"] = "South Georgia and the South Sandwich Islands",
        ["GT"] = "Guatemala",
        ["GU"] = "Guam",
        ["GW"] = "Guinea-Bissau",
        ["GY"] = "Guyana",
        ["HK"] = "Hong Kong",
        ["HM"] = "Heard Island and McDonald Islands",
        ["HN"] = "Honduras",
        ["HR"] = "Croatia",
        ["HT"] = "Haiti",
        ["HU"] = "Hungary",
        ["ID"] = "Indonesia",
        ["IE"] = "Ireland",
        ["IL"] = "Israel",
        ["IM"] = "Isle of Man",
        ["IN"] = "India",
        ["IO"] = "British Indian Ocean Territory",
        ["IQ"] = "Iraq",
        ["IR"] = "Iran",
        ["IS"] = "Iceland",
        ["IT"] = "Italy",
        ["JE"] = "Jersey",
        ["JM"] = "Jamaica",
        ["JO"] = "Jordan",
        ["JP"] = "Japan",
        ["KE"] = "Kenya",
        ["KG"] = "Kyrgyzstan",
        ["KH"] = "Cambodia",
        ["KI"] = "Kiribati",
        ["KM"] = "Comoros",
        ["KN"] = "Saint Kitts and Nevis",
        ["KP"] = "North Korea",
        ["KR"] = "South Korea",
        ["KW"] = "Kuwait",
        ["KY"] = "Cayman Islands",
        ["KZ"] = "Kazakhstan",
        ["LA"] = "Laos",
        ["LB"] = "Lebanon",
        ["LC"] = "Saint Lucia",
        ["LI"] = "Liechtenstein",
        ["LK"] = "Sri Lanka",
        ["LR"] = "Liberia",
        ["LS"] = "Lesotho",
        ["LT"] = "Lithuania",
        ["LU"] = "Luxembourg",
        ["LV"] = "Latvia",
        ["LY"] = "Libya",
        ["MA"] = "Morocco",
        ["MC"] = "Monaco",
        ["MD"] = "Moldova",
        ["ME"] = "Montenegro",
        ["MF"] = "Saint Martin (French part)",
        ["MG"] = "Madagascar",
        ["MH"] = "Marshall Islands",
        ["MK"] = "North Macedonia",
        ["ML"] = "Mali",
        ["MM"] = "Myanmar",
        ["MN"] = "Mongolia",
        ["MO"] = "Macao",
        ["MP"] = "Northern Mariana Islands",
        ["MQ"] = "Martinique",
        ["MR"] = "Mauritania",
        ["MS"] = "Montserrat",
        ["MT"] = "Malta",
        ["MU"] = "Mauritius",
        ["MV"] = "Maldives",
        ["MW"] = "Malawi",
        ["MX"] = "Mexico",
        ["MY"] = "Malaysia",
        ["MZ"] = "Mozambique",
        ["NA"] = "Namibia",
        ["NC"] = "New Caledonia",
        ["NE"] = "Niger",
        ["NF"] = "Norfolk Island",
        ["NG"] = "Nigeria",
        ["NI"] = "Nicaragua",
        ["NL"] = "Netherlands",
        ["NO"] = "Norway",
        ["NP"] = "Nepal",
        ["NR"] = "Nauru",
        ["NU"] = "Niue",
        ["NZ"] = "New Zealand",
        ["OM"] = "Oman",
        ["PA"] = "Panama",
        ["PE"] = "Peru",
        ["PF"] = "French Polynesia",
        ["PG"] = "Papua New Guinea",
        ["PH"] = "Philippines",
        ["PK"] = "Pakistan",
        ["PL"] = "Poland",
        ["PM"] = "Saint Pierre and Miquelon",
        ["PN"] = "Pitcairn",
        ["PR"] = "Puerto Rico",
        ["PS"] = "Palestine, State of",
        ["PT"] = "Portugal",
        ["PW"] = "Palau",
        ["PY"] = "Paraguay",
        ["QA"] = "Qatar",
        ["RE"] = "Réunion",
        ["RO"] = "Romania",
        ["RS"] = "Serbia",
        ["RU"] = "Russian Federation",
        ["RW"] = "Rwanda",
        ["SA"] = "Saudi Arabia",
        ["SB"] = "Solomon Islands",
        ["SC"] = "Seychelles",
        ["SD"] = "Sudan",
        ["SE"] = "Sweden",
        ["SG"] = "Singapore",
        ["SH"] = "Saint Helena, Ascension and Tristan da Cunha",
        ["SI"] = "Slovenia",
        ["SJ"] = "Svalbard and Jan Mayen",
        ["SK"] = "Slovakia",
        ["SL"] = "Sierra Leone",
        ["SM"] = "San Marino",
        ["SN"] = "Senegal",
        ["SO"] = "Somalia",
        ["SR"] = "Suriname",
        ["SS"] = "South Sudan",
        ["ST"] = "Sao Tome and Principe",
        ["SV"] = "El Salvador",
        ["SX"] = "Sint Maarten (Dutch part)",
        ["SY"] = "Syria",
        ["SZ"] = "Eswatini",
        ["TC"] = "Turks and Caicos Islands",
        ["TD"] = "Chad",
        ["TF"] = "French Southern Territories",
        ["TG"] = "Togo",
        ["TH"] = "Thailand",
        ["TJ"] = "Tajikistan",
        ["TK"] = "Tokelau",
        ["TL"] = "Timor-Leste",
        ["TM"] = "Turkmenistan",
        ["TN"] = "Tunisia",
        ["TO"] = "Tonga",
        ["TR"] = "Türkiye",
        ["TT"] = "Trinidad and Tobago",
        ["TV"] = "Tuvalu",
        ["TW"] = "Taiwan",
        ["TZ"] = "Tanzania",
        ["UA"] = "Ukraine",
        ["UG"] = "Uganda",
        ["UM"] = "United States Minor Outlying Islands",
        ["US"] = "United States",
        ["UY"] = "Uruguay",
        ["UZ"] = "Uzbekistan",
        ["VA"] = "Holy See (Vatican City State)",
        ["VC"] = "Saint Vincent and the Grenadines",
        ["VE"] = "Venezuela",
        ["VG"] = "Virgin Islands, British",
        ["VI"] = "Virgin Islands, U.S.",
        ["VN"] = "Vietnam",
        ["VU"] = "Vanuatu",
        ["WF"] = "Wallis and Futuna",
        ["WS"] = "Samoa",
        ["XK"] = "Kosovo",
        ["YE"] = "Yemen",
        ["YT"] = "Mayotte",
        ["ZA"] = "South Africa",
        ["ZM"] = "Zambia",
        ["ZW"] = "Zimbabwe",
    };

    /// <summary>The model dimension answering an API name this class maps, or null.</summary>
    public static HitDimension? Dimension(string? name) => name switch
    {
        CountryName => HitDimension.Country,
        CityName => HitDimension.City,
        _ => null,
    };

    /// <summary>The name shown for a country code: its English name, or the code itself when unknown.</summary>
    public static string NameOf(string code) => Countries.TryGetValue(code, out var name) ? name : code;

    /// <summary>How many conditions a filter holds, as <see cref="HitQuery"/> counts them against its limit.</summary>
    public static int ConditionCount(HitFilter filter) => filter switch
    {
        HitFilterCondition => 1,
        HitFilterNot not => ConditionCount(not.Filter),
        HitFilterAnd and => and.Filters.Sum(ConditionCount),
        HitFilterOr or => or.Filters.Sum(ConditionCount),
        HitFilterHasDone behavior => ConditionCount(behavior.Filter),
        _ => 0,
    };

    /// <summary>
    /// A condition on country names as a filter on <c>visit:country</c>: the known codes whose names pass it (and
    /// <c>(not set)</c> when that passes), or an unknown code that passes the condition itself (its name is the code).
    /// </summary>
    public static HitFilter CountryFilter(HitFilterCondition condition)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var byName = condition with { Dimension = HitDimension.Country };
        var known = Countries.Keys.Append(HitDimension.NotSet).ToList();
        var passing = Countries.Where(c => byName.Test(c.Value)).Select(c => c.Key).ToList();
        if (byName.Test(HitDimension.NotSet))
        {
            passing.Add(HitDimension.NotSet);
        }

        var parts = new List<HitFilter>();
        parts.AddRange(passing.Chunk(MaxValues).Select(chunk => HitFilter.Is(HitDimension.Country, chunk)));
        parts.Add(HitFilter.And([.. known.Chunk(MaxValues).Select(chunk => HitFilter.Not(HitFilter.Is(HitDimension.Country, chunk))), byName]));
        return parts.Count == 1 ? parts[0] : HitFilter.Or([.. parts]);
    }
}
