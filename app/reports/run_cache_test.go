package reports

import (
	"context"
	"testing"

	"scanboard/app/apperr"
	"scanboard/ent/user"
)

// TestRunCacheFollowsEveryChange: the rows of a viewed run are reused only while the run,
// its project and its uploader are unchanged and the viewer may still see the project.
// Changes are made straight through ent, as another node would make them.
func TestRunCacheFollowsEveryChange(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	rc, err := f.svc.Ingest(ctx, IngestRequest{ProjectKey: "shop", UploaderID: f.user.ID, Filename: "x.csv", Body: openT(t, generated(t, 100, 1))})
	if err != nil {
		t.Fatal(err)
	}
	drain(t, f.svc)
	member := f.viewer()
	load := func(v Viewer) (name, uploader string, apdex int) {
		t.Helper()
		r, err := f.svc.visibleRun(ctx, v, rc.RunID)
		if err != nil {
			t.Fatal(err)
		}
		return r.Edges.Project.Name, r.Edges.Uploader.DisplayName, r.Edges.Project.ApdexSatisfiedMs
	}
	if n, u, _ := load(member); n != "Shop" || u != "uploader" {
		t.Fatalf("first load: %q, %q", n, u)
	}
	// What a caller does to its copy stays out of the cache.
	r, err := f.svc.visibleRun(ctx, member, rc.RunID)
	if err != nil {
		t.Fatal(err)
	}
	r.Edges.Project.Name, r.Edges.Uploader.DisplayName, r.TagBuild = "changed", "changed", "changed"
	if n, u, _ := load(member); n != "Shop" || u != "uploader" {
		t.Fatalf("a caller's change reached the cache: %q, %q", n, u)
	}
	if again, _ := f.svc.visibleRun(ctx, member, rc.RunID); again.TagBuild == "changed" {
		t.Fatal("a caller's change to the run reached the cache")
	}
	if _, ok := f.svc.runs.rows.Peek(rc.RunID); !ok {
		t.Fatal("the run was not cached")
	}

	f.st.Client.Project.UpdateOneID(f.project.ID).SetApdexSatisfiedMs(123).ExecX(ctx)
	if _, _, a := load(member); a != 123 {
		t.Fatalf("project change not seen: apdex %d", a)
	}
	f.st.Client.User.UpdateOneID(f.user.ID).SetDisplayName("renamed").ExecX(ctx)
	if _, u, _ := load(member); u != "renamed" {
		t.Fatalf("uploader rename not seen: %q", u)
	}
	f.st.Client.Run.UpdateOneID(rc.RunID).SetTagBuild("b42").ExecX(ctx)
	if r, err := f.svc.visibleRun(ctx, member, rc.RunID); err != nil || r.TagBuild != "b42" {
		t.Fatalf("run change not seen: %v %v", r, err)
	}

	// Restricting the project hides the cached run from an employee outside it at once,
	// while a manager still sees it.
	outsider := f.st.Client.User.Create().SetStatus(user.StatusActive).SetDisplayName("outsider").SaveX(ctx)
	out := Viewer{UserID: outsider.ID, Role: "employee"}
	load(out)
	f.st.Client.Project.UpdateOneID(f.project.ID).SetRestricted(true).AddMemberIDs(f.user.ID).ExecX(ctx)
	if _, err := f.svc.visibleRun(ctx, out, rc.RunID); apperr.KindOf(err) != apperr.NotFound {
		t.Fatalf("outsider after restriction: %v, want NotFound", err)
	}
	load(member)
	load(Viewer{UserID: outsider.ID, Role: "manager"})
	f.st.Client.Project.UpdateOneID(f.project.ID).AddMemberIDs(outsider.ID).ExecX(ctx)
	load(out)
	// Deleting the uploader leaves the run without one, not a stale name.
	f.st.Client.Run.UpdateOneID(rc.RunID).ClearUploader().ExecX(ctx)
	if r, err := f.svc.visibleRun(ctx, member, rc.RunID); err != nil || r.Edges.Uploader != nil {
		t.Fatalf("cleared uploader: %+v, %v", r, err)
	}
}
