package xmlmodel

import (
	"bytes"
	"encoding/xml"
	"time"
)

// QLMDeclaration is the XML declaration QLM puts before its responses, in
// the single-quoted form of Soraco's documentation.
const QLMDeclaration = "<?xml version='1.0' encoding='UTF-8'?>"

// QLMResult is the <QuickLicenseManager> envelope of a failure (Error set) or
// of a success that carries only a message (Result set). It has no
// <status>: QLM's error envelope is <error> alone, and clients that see a
// status read the answer as a license.
type QLMResult struct {
	XMLName xml.Name `xml:"QuickLicenseManager"`
	Error   string   `xml:"error,omitempty"`
	Result  string   `xml:"result,omitempty"`
}

// QLMLicense is the answer of ValidateLicenseHttp and of the activation
// methods: the element set, in order, of the ValidateLicenseHttp sample in
// QLM's documentation, with <activationToken> added after <pckey>.
// Every element is written, empty or not, because clients read them by name.
type QLMLicense struct {
	XMLName                xml.Name  `xml:"QuickLicenseManager"`
	CreationDateUTC        QLMTime   `xml:"creationDateUtc"`
	ComputerKey            string    `xml:"pckey"`
	ActivationToken        string    `xml:"activationToken"`
	ComputerName           string    `xml:"computerName"`
	ComputerID             string    `xml:"computerID"`
	UserCompany            string    `xml:"userCompany"`
	UserFullName           string    `xml:"userFullName"`
	UserEmail              string    `xml:"userEmail"`
	ProductID              string    `xml:"productID"`
	ProductName            string    `xml:"productName"`
	MajorVersion           int       `xml:"majorVersion"`
	MinorVersion           int       `xml:"minorVersion"`
	LicenseModel           string    `xml:"licenseModel"`
	MaintenanceRenewalDate QLMTime   `xml:"maintenanceRenewalDate"`
	Result                 string    `xml:"result"`
	Status                 int       `xml:"status"`
	Features               string    `xml:"features"`
	Duration               int       `xml:"duration"`
	FloatingSeats          int       `xml:"floatingSeats"`
	NumActivationsAllowed  int       `xml:"numActivationsAllowed"`
	AvailableLicenses      int       `xml:"availableLicenses"`
	ExpiryDate             QLMMinute `xml:"expiryDate"`
	ActivationKey          string    `xml:"activationKey"`
	UserData               string    `xml:"userData"`
	ProductProperties      string    `xml:"productProperties"`
	ActivationDate         QLMMinute `xml:"activationDate"`
	ServerDate             QLMMinute `xml:"serverDate"`
	ComputerType           string    `xml:"computerType"`
}

// QLMPing is the answer of PingHttp. The second, attribute-only serverDate
// element is obsolete but QLM still sends it, so it is kept.
type QLMPing struct {
	XMLName          xml.Name       `xml:"QuickLicenseManager"`
	Result           string         `xml:"result"`
	ServerDate       string         `xml:"serverDate"`
	ServerVersion    string         `xml:"serverVersion"`
	LegacyServerDate *QLMLegacyDate `xml:",any"`
}

// QLMLegacyDate is the obsolete <serverDate date="…"/> element of PingHttp.
type QLMLegacyDate struct {
	XMLName xml.Name `xml:"serverDate"`
	Date    string   `xml:"date,attr"`
}

// QLMProductProperties is the document embedded, as text, in
// <productProperties>.
type QLMProductProperties struct {
	XMLName    xml.Name      `xml:"ProductProperties"`
	Properties []QLMProperty `xml:"Property"`
}

// QLMProperty is one product property, as QLM writes it.
type QLMProperty struct {
	ID                   string  `xml:"ID,attr"`
	Name                 string  `xml:"name,attr"`
	Category             string  `xml:"category,attr"`
	Value                string  `xml:"value,attr"`
	Type                 string  `xml:"type,attr"`
	Help                 string  `xml:"help,attr"`
	LastDefinitionUpdate QLMTime `xml:"lastDefinitionUpdate,attr"`
	LastValueUpdate      QLMTime `xml:"lastValueUpdate,attr"`
	ExpiryDate           QLMTime `xml:"expiryDate,attr"`
	Operation            string  `xml:"operation,attr"`
}

// QLM date formats: to the second (creationDateUtc, maintenanceRenewalDate,
// property times) and to the minute (expiryDate, activationDate, serverDate).
const (
	QLMTimeLayout   = "2006-01-02 15:04:05"
	QLMMinuteLayout = "2006-01-02 15:04"
)

// QLMTime is a UTC time written as "yyyy-MM-dd HH:mm:ss"; the zero time is
// written as QLM writes "no date" (.NET's DateTime.MinValue),
// 0001-01-01 00:00:00.
type QLMTime time.Time

// MarshalText implements [encoding.TextMarshaler].
func (t QLMTime) MarshalText() ([]byte, error) {
	return []byte(time.Time(t).UTC().Format(QLMTimeLayout)), nil
}

// UnmarshalText implements [encoding.TextUnmarshaler]. It accepts both QLM
// layouts and an empty value (the zero time).
func (t *QLMTime) UnmarshalText(b []byte) error {
	v, err := parseQLMTime(b)
	*t = QLMTime(v)
	return err
}

// QLMMinute is a UTC time written as "yyyy-MM-dd HH:mm"; the zero time is
// written as QLM writes "no date", 0001-01-01 00:00, so that clients that
// parse every date with the documented layout never meet an empty one.
type QLMMinute time.Time

// MarshalText implements [encoding.TextMarshaler].
func (t QLMMinute) MarshalText() ([]byte, error) {
	return []byte(time.Time(t).UTC().Format(QLMMinuteLayout)), nil
}

// UnmarshalText implements [encoding.TextUnmarshaler]. It accepts both QLM
// layouts and an empty value (the zero time).
func (t *QLMMinute) UnmarshalText(b []byte) error {
	v, err := parseQLMTime(b)
	*t = QLMMinute(v)
	return err
}

func parseQLMTime(b []byte) (time.Time, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return time.Time{}, nil
	}
	if len(b) == len(QLMTimeLayout) {
		return time.Parse(QLMTimeLayout, string(b))
	}
	return time.Parse(QLMMinuteLayout, string(b))
}

// MarshalQLM writes v after [QLMDeclaration], without indentation, as the
// QLM server does on the wire (a client that signs or searches the raw bytes
// expects no whitespace between elements). With bom set, a UTF-8 byte order
// mark comes first.
func MarshalQLM(v any, bom bool) ([]byte, error) {
	var buf bytes.Buffer
	if bom {
		buf.WriteString("\uFEFF")
	}
	buf.WriteString(QLMDeclaration)
	if err := xml.NewEncoder(&buf).Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
