package simulator

import (
	"errors"
	"sort"
	"strings"
	"testing"
)

func TestParseWQL(t *testing.T) {
	deep := "SELECT * FROM C WHERE " + strings.Repeat("(", maxWQLDepth+1) + "JobState = 1" + strings.Repeat(")", maxWQLDepth+1)
	okDeep := "SELECT * FROM C WHERE " + strings.Repeat("(", maxWQLDepth) + "JobState = 1" + strings.Repeat(")", maxWQLDepth)
	nots := "SELECT * FROM C WHERE " + strings.Repeat("NOT ", maxWQLDepth+1) + "JobState = 1"
	tests := []struct {
		q      string
		ok     bool
		class  string
		props  []string
		fields int
	}{
		{"SELECT * FROM Msvm_ConcreteJob", true, "Msvm_ConcreteJob", nil, 0},
		{"select * from msvm_concretejob", true, "msvm_concretejob", nil, 0},
		{"SELECT InstanceID, JobState FROM Msvm_ConcreteJob", true, "Msvm_ConcreteJob", []string{"InstanceID", "JobState"}, 2},
		{"SELECT * FROM C WHERE JobState = 10", true, "C", nil, 1},
		{"SELECT * FROM C WHERE JobState=10 AND (ErrorCode != 0 OR NOT Name LIKE 'a%')", true, "C", nil, 3},
		{"SELECT * FROM C WHERE 10 <= JobState", true, "C", nil, 1},
		{"SELECT * FROM C WHERE Name IS NOT NULL OR Name IS NULL", true, "C", nil, 2},
		{"SELECT * FROM C WHERE Name = NULL", true, "C", nil, 1},
		{"SELECT * FROM C WHERE Name NOT LIKE \"[^a-c]_%\"", true, "C", nil, 1},
		{"SELECT * FROM C WHERE Cancellable = TRUE", true, "C", nil, 1},
		{"SELECT * FROM C WHERE X = 0x10 AND Y > -2.5", true, "C", nil, 2},
		{"SELECT * FROM C WHERE Name = 'it\\'s'", true, "C", nil, 1},
		{okDeep, true, "C", nil, 1},
		{"", false, "", nil, 0},
		{"SELECT FROM C", false, "", nil, 0},
		{"SELECT * C", false, "", nil, 0},
		{"SELECT * FROM", false, "", nil, 0},
		{"SELECT * FROM C WHERE", false, "", nil, 0},
		{"SELECT * FROM C WHERE A = B", false, "", nil, 0},
		{"SELECT * FROM C WHERE 1 = 2", false, "", nil, 0},
		{"SELECT * FROM C WHERE A = 'x", false, "", nil, 0},
		{"SELECT * FROM C WHERE (A = 1", false, "", nil, 0},
		{"SELECT * FROM C WHERE A ISA 'X'", false, "", nil, 0},
		{"SELECT * FROM C WHERE A LIKE 5", false, "", nil, 0},
		{"SELECT * FROM C WHERE A LIKE '[abc'", false, "", nil, 0},
		{"SELECT * FROM C WHERE A < NULL", false, "", nil, 0},
		{"SELECT * FROM C WHERE A = 1 extra", false, "", nil, 0},
		{"SELECT * FROM C WHERE A = 1;", false, "", nil, 0},
		{"ASSOCIATORS OF {X} WHERE ResultClass = Y", false, "", nil, 0},
		{"SELECT * FROM C WHERE A = 12abc", false, "", nil, 0},
		{deep, false, "", nil, 0},
		{nots, false, "", nil, 0},
		{"SELECT * FROM C WHERE A = '" + strings.Repeat("x", maxWQLLength) + "'", false, "", nil, 0},
	}
	for _, tc := range tests {
		q, err := parseWQL(tc.q)
		if !tc.ok {
			var we *WQLError
			if !errors.As(err, &we) {
				t.Errorf("%.60q: err %v, want a *WQLError", tc.q, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%.60q: %v", tc.q, err)
			continue
		}
		if q.class != tc.class || strings.Join(q.props, ",") != strings.Join(tc.props, ",") || len(q.fields) != tc.fields {
			t.Errorf("%.60q: class %q props %q fields %q", tc.q, q.class, q.props, q.fields)
		}
	}
}

func TestLikeMatch(t *testing.T) {
	tests := []struct {
		pat, s string
		want   bool
	}{
		{"abc", "ABC", true},
		{"a%", "apple", true},
		{"%le", "apple", true},
		{"%p%", "apple", true},
		{"a_ple", "apple", true},
		{"a_le", "apple", false},
		{"[a-c]%", "banana", true},
		{"[^a-c]%", "banana", false},
		{"[xyz]", "y", true},
		{"[]]", "]", true},
		{"%%%a", "bba", true},
		{"", "", true},
		{"%", "", true},
		{"_", "", false},
		{"web-0_", "web-01", true},
		{"%" + strings.Repeat("a%", 50) + "b", strings.Repeat("a", 2000), false}, // quadratic at worst, never exponential
	}
	for _, tc := range tests {
		pat, err := parseLike(tc.pat, 0)
		if err != nil {
			t.Fatalf("%q: %v", tc.pat, err)
		}
		if got := likeMatch(pat, []rune(strings.ToLower(tc.s))); got != tc.want {
			t.Errorf("%q LIKE %q = %v, want %v", tc.s, tc.pat, got, tc.want)
		}
	}
}

// jobRow is one row of the evaluator's test table: property -> value, a
// missing key is NULL.
type jobRow map[string]string

func (r jobRow) get(name string) (string, bool) {
	for k, v := range r {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}

func TestEvalWQL(t *testing.T) {
	table := map[string]jobRow{
		"A": {"JobState": "10", "ErrorCode": "32768", "Name": "Start Virtual Machine", "StartTime": "20240305091402.512345+000", "Cancellable": "false"},
		"B": {"JobState": "7", "ErrorCode": "0", "Name": "Export Virtual Machine", "StartTime": "20240305101402.000000+000", "Cancellable": "false"},
		"C": {"JobState": "4", "ErrorCode": "0", "Name": "snapshot", "StartTime": "20240306000000.000000+000", "Cancellable": "true"},
		"D": {"JobState": "2", "ErrorCode": "0", "Name": "New job"}, // no StartTime yet
		"E": {"JobState": "7", "ErrorCode": "4", "Name": "Provisioning"},
	}
	tests := []struct {
		where string
		want  string
	}{
		{"JobState = 10", "A"},
		{"JobState = 10 OR (JobState = 7 AND ErrorCode <> 0)", "AE"},
		{"JobState >= 7", "ABE"},
		{"JobState < 7", "CD"},
		{"7 < JobState", "A"},
		{"NOT JobState = 7", "ACD"},
		{"JobState != 7 AND NOT (ErrorCode = 0)", "A"},
		{"Name = 'start virtual machine'", "A"},
		{"Name LIKE '%virtual%'", "AB"},
		{"Name NOT LIKE '%virtual%'", "CDE"},
		{"Name LIKE '[a-f]%'", "B"},
		{"Name LIKE '[^s]%'", "BDE"},
		{"StartTime IS NULL", "DE"},
		{"StartTime IS NOT NULL", "ABC"},
		{"StartTime = NULL", "DE"},
		// Datetimes compare as DMTF strings.
		{"StartTime >= '20240305100000.000000+000'", "BC"},
		{"StartTime < '20240305100000.000000+000'", "A"},
		// The same instant given with another UTC offset: 11:00 at +060 is 10:00 UTC.
		{"StartTime >= '20240305110000.000000+060'", "BC"},
		{"StartTime < '20240305043000.000000-330'", "A"},
		// A comparison with NULL is unknown: neither it nor its negation holds.
		{"NOT StartTime < '20240305100000.000000+000'", "BC"},
		{"Cancellable = TRUE", "C"},
		{"Cancellable <> true", "AB"},
		{"ErrorCode > 100", "A"},
		{"ErrorCode = 0x8000", "A"},
		{"Name > 5", ""}, // a string that is not a number never compares
	}
	for _, tc := range tests {
		q, err := parseWQL("SELECT * FROM Msvm_ConcreteJob WHERE " + tc.where)
		if err != nil {
			t.Errorf("%s: %v", tc.where, err)
			continue
		}
		var got []string
		for id, row := range table {
			if q.where.eval(row.get) == triTrue {
				got = append(got, id)
			}
		}
		sort.Strings(got)
		if strings.Join(got, "") != tc.want {
			t.Errorf("WHERE %s: got %v, want %s", tc.where, got, tc.want)
		}
	}
}

func FuzzParseWQL(f *testing.F) {
	for _, s := range []string{
		"SELECT * FROM Msvm_ConcreteJob",
		"SELECT InstanceID, JobState FROM Msvm_ConcreteJob WHERE JobState = 10 OR (JobState = 7 AND ErrorCode <> 0)",
		"SELECT * FROM C WHERE Name NOT LIKE '[^a-c]_%' AND StartTime >= '20240305100000.000000+000'",
		"SELECT * FROM C WHERE NOT (A IS NULL) AND B = TRUE AND C != -0x10",
		"SELECT * FROM C WHERE ((((A = 'x\\'y'))))",
	} {
		f.Add(s)
	}
	row := jobRow{"A": "x", "B": "true", "C": "-16", "Name": "abc", "JobState": "10"}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := parseWQL(s)
		if err != nil {
			var we *WQLError
			if !errors.As(err, &we) {
				t.Fatalf("error %v is not a *WQLError", err)
			}
			return
		}
		if q.class == "" {
			t.Fatal("no class")
		}
		if q.where != nil {
			q.where.eval(row.get)
		}
	})
}
